import { useEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useSample } from '../sampleStore.ts';
import { ramp } from './colors.ts';
import { ScaleLegend } from './ScaleLegend.tsx';
import { fmtT } from './flipTimeline.ts';
import { axisTicks, labelAlign, massScaleEnds, rowHeight, tickEvery } from './heatmapAxes.ts';
import { PositionAxis } from './PositionAxis.tsx';
import { meanByFrame, topkMass } from './topkMass.ts';
import './panels.css';

/**
 * Positions × frames for the selected sample, each cell shaded by how much
 * of the prediction's probability its top-k candidates hold (k: the run's
 * top-k setting, as its frames recorded it). Stretched to the page's width;
 * click a cell to jump to that frame and position.
 */
export function TopkMass({ length }: { length: number }) {
  const { frames, frame, sample, position, k } = useSample(useShallow((s) => ({
    frames: s.frames, frame: s.frame, sample: s.sample, position: s.position, k: s.frames[0]?.k ?? 0,
  })));
  const { setFrame, selectPosition, setPlaying } = useSample(useShallow((s) => ({ setFrame: s.setFrame, selectPosition: s.selectPosition, setPlaying: s.setPlaying })));
  const m = useMemo(() => topkMass(frames, sample * length, length, k), [frames, sample, length, k]);
  const means = useMemo(() => meanByFrame(m), [m]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const n = m.frames, rh = rowHeight(length), cw = Math.max(1, Math.min(40, Math.floor(600 / Math.max(1, n))));

  useEffect(() => {
    const c = canvas.current, ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    for (let p = 0; p < m.positions; p++) {
      for (let i = 0; i < n; i++) {
        ctx.fillStyle = ramp(m.mass[p * n + i]);
        ctx.fillRect(i * cw, p * rh, cw, rh);
      }
    }
  }, [m, n, cw, rh]);

  if (!n) return null;
  const onClick = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const i = Math.floor(((e.clientX - r.left) / r.width) * n), p = Math.floor(((e.clientY - r.top) / r.height) * length);
    setPlaying(false);
    if (i >= 0 && i < n) setFrame(i);
    if (p >= 0 && p < length) selectPosition(p);
  };
  let low = 0;
  for (let j = 1; j < m.mass.length; j++) if (m.mass[j] < m.mass[low]) low = j;
  const lowP = Math.floor(low / n), lowI = low % n;
  const ends = massScaleEnds(m.k);
  const H = length * rh;
  const ys = axisTicks(length, tickEvery(length, 8)), xs = axisTicks(n, tickEvery(n, 5));
  const words = `Mean top-${m.k} mass over the positions: ${means[0].toFixed(2)} at t = ${fmtT(frames[0].t)}, `
    + `${means[n - 1].toFixed(2)} at t = ${fmtT(frames[n - 1].t)}; lowest cell ${m.mass[low].toFixed(2)} (position ${lowP}, t = ${fmtT(frames[lowI].t)}).`;
  return (
    <figure className="tpanel" data-testid="topk-mass-panel">
      <h3 id="topk-mass-title">Top-{m.k} probability mass per position and t (sample {sample})</h3>
      <p className="summary stats" data-testid="topk-mass-summary">{words}</p>
      <div className="tpanel-grid">
        <PositionAxis ticks={ys} rowHeight={rh} height={H} />
        {/* The canvas is stretched to the page's width; the frame's and the position's outlines lie over it (a stroke on it would stretch too). */}
        <div className="tpanel-canvas">
          <canvas
            ref={canvas} className="tpanel-plot" data-testid="topk-mass" data-rows={length} data-cols={n} data-k={m.k}
            width={n * cw} height={H} style={{ height: H }} onClick={onClick}
            role="img" aria-label={`top-${m.k} probability mass heatmap of ${length} positions by ${n} frames (t ${fmtT(frames[0].t)} to ${fmtT(frames[n - 1].t)}). ${words}`}
          />
          {frame < n && <div className="tpanel-mark col" style={{ left: `${(frame / n) * 100}%`, width: `${100 / n}%` }} />}
          {position !== null && position < length && <div className="tpanel-mark row" style={{ top: position * rh, height: rh }} />}
        </div>
        <span aria-hidden="true" />
        <div className="tpanel-x" aria-hidden="true" data-testid="topk-mass-x-axis">
          {xs.map((i) => <span key={i} className={labelAlign((i + 0.5) / n)} style={{ left: `${((i + 0.5) / n) * 100}%` }}>t {fmtT(frames[i].t)}</span>)}
        </div>
      </div>
      <ScaleLegend ends={ends} className="tpanel-scale" testId="topk-mass-scale" />
      <figcaption>
        rows: positions, columns: frames (t = {fmtT(frames[0].t)} at the left; the last column is the final state, itself a distribution);
        colour: Σ of the prediction's {m.k} largest probabilities (dark: spread over many tokens, yellow: all in the top-{m.k}).
        {n === 2 && ' One step: the left column is the single prediction, the right one the result.'}
      </figcaption>
    </figure>
  );
}
