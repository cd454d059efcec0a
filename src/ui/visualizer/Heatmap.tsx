import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useSample } from '../sampleStore.ts';
import { ramp } from './colors.ts';
import { ScaleLegend } from './ScaleLegend.tsx';
import { axisTicks, scaleEnds, tickEvery } from './heatmapAxes.ts';

/**
 * Positions × frames for one sample: the prediction's entropy (scaled by
 * ln V), or the probability of the token finally chosen (computed by the
 * sampling worker once the run is done). Click a cell to jump to that frame
 * and position.
 */
export function Heatmap({ length, vocab }: { length: number; vocab: number }) {
  const { frames, frame, sample, position, heatMode, finalProbs } = useSample(useShallow((s) => ({
    frames: s.frames, frame: s.frame, sample: s.sample, position: s.position, heatMode: s.heatMode,
    finalProbs: s.status === 'done' ? s.finalProbs : null,
  })));
  const { setFrame, selectPosition, setPlaying } = useSample(useShallow((s) => ({ setFrame: s.setFrame, selectPosition: s.selectPosition, setPlaying: s.setPlaying })));
  const canvas = useRef<HTMLCanvasElement>(null);
  const cw = Math.max(4, Math.min(14, Math.floor(1000 / length)));
  const ch = Math.max(3, Math.min(14, Math.floor(260 / Math.max(1, frames.length))));

  useEffect(() => {
    const c = canvas.current, ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    const lnV = Math.log(vocab);
    frames.forEach((f, row) => {
      const probs = heatMode === 'final' ? finalProbs?.[row] : undefined;
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
  }, [frames, frame, sample, position, heatMode, length, vocab, cw, ch, finalProbs]);

  if (!frames.length) return null;
  const onClick = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const p = Math.floor((e.clientX - rect.left) / cw), row = Math.floor((e.clientY - rect.top) / ch);
    setPlaying(false);
    setFrame(row);
    if (p >= 0 && p < length) selectPosition(p);
  };
  const W = length * cw, H = frames.length * ch;
  const cols = axisTicks(length, tickEvery(length, 8)), rows = axisTicks(frames.length, tickEvery(frames.length, 6));
  const ends = scaleEnds(heatMode);
  return (
    <figure className="heatmap">
      {/* Focusable: on a narrow screen the grid scrolls sideways, and the keyboard must reach it too. */}
      <div className="heatmap-grid" style={{ gridTemplateColumns: `auto ${W}px` }} tabIndex={0} role="group" aria-label="heatmap (scrolls sideways when wider than the screen)">
        <span className="heatmap-corner" aria-hidden="true">t ↓ · position →</span>
        <div className="heatmap-x" style={{ width: W }} aria-hidden="true" data-testid="heatmap-x-axis">
          {cols.map((p) => <span key={p} style={{ left: p * cw + cw / 2 }}>{p}</span>)}
        </div>
        <div className="heatmap-y" style={{ height: H }} aria-hidden="true" data-testid="heatmap-y-axis">
          {rows.map((r) => <span key={r} style={{ top: r * ch + ch / 2 }}>{frames[r] ? `t ${frames[r].t.toFixed(2)}` : r}</span>)}
        </div>
        <canvas
          ref={canvas} data-testid="heatmap" data-rows={frames.length} data-cols={length}
          width={W} height={H} onClick={onClick}
          role="img" aria-label={`heatmap of ${frames.length} frames by ${length} positions: ${ends.title}`}
        />
      </div>
      <ScaleLegend ends={ends} className="heatmap-scale" testId="heatmap-scale" />
      <figcaption>
        rows: frames (t = 0 at the top), columns: positions; colour: {heatMode === 'entropy'
          ? 'entropy of the prediction / ln V (dark: certain, yellow: uniform)'
          : 'probability of the finally chosen token (0 where it is outside the top-k)'}
      </figcaption>
    </figure>
  );
}
