import { useEffect, useRef } from 'react';
import { finalTokenProb } from '../../sampling/trajectory.ts';
import { useSample } from '../sampleStore.ts';
import { ramp } from './colors.ts';

/**
 * Positions × frames for one sample: the prediction's entropy (scaled by
 * ln V), or the probability of the token finally chosen. Click a cell to jump
 * to that frame and position.
 */
export function Heatmap({ length, vocab }: { length: number; vocab: number }) {
  const { frames, frame, sample, position, heatMode, setFrame, selectPosition, setPlaying } = useSample();
  const canvas = useRef<HTMLCanvasElement>(null);
  const cw = Math.max(4, Math.min(14, Math.floor(1000 / length)));
  const ch = Math.max(3, Math.min(14, Math.floor(260 / Math.max(1, frames.length))));
  const final = frames.length ? frames[frames.length - 1].argmaxZ.subarray(sample * length, (sample + 1) * length) : null;
  const done = useSample((s) => s.status === 'done');

  useEffect(() => {
    const c = canvas.current, ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    const lnV = Math.log(vocab);
    frames.forEach((f, row) => {
      const probs = heatMode === 'final' && final && done ? finalTokenProb(f, frames[frames.length - 1].argmaxZ) : null;
      for (let p = 0; p < length; p++) {
        const r = sample * length + p;
        const v = probs ? probs[r] : f.entropy[r] / lnV;
        ctx.fillStyle = heatMode === 'final' && !probs ? '#eaeef2' : ramp(v);
        ctx.fillRect(p * cw, row * ch, cw, ch);
      }
    });
    ctx.strokeStyle = '#e5534b';
    ctx.lineWidth = 2;
    if (frames.length) ctx.strokeRect(1, frame * ch + 1, length * cw - 2, ch - 2);
    if (position !== null) ctx.strokeRect(position * cw + 1, 1, cw - 2, frames.length * ch - 2);
  }, [frames, frame, sample, position, heatMode, length, vocab, cw, ch, final, done]);

  if (!frames.length) return null;
  const onClick = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const p = Math.floor((e.clientX - rect.left) / cw), row = Math.floor((e.clientY - rect.top) / ch);
    setPlaying(false);
    setFrame(row);
    if (p >= 0 && p < length) selectPosition(p);
  };
  return (
    <figure className="heatmap">
      <canvas
        ref={canvas} data-testid="heatmap" data-rows={frames.length} data-cols={length}
        width={length * cw} height={frames.length * ch} onClick={onClick}
      />
      <figcaption>
        rows: frames (t = 0 at the top), columns: positions; colour: {heatMode === 'entropy'
          ? 'entropy of the prediction / ln V (dark: certain, yellow: uniform)'
          : 'probability of the finally chosen token (0 where it is outside the top-k)'}
      </figcaption>
    </figure>
  );
}
