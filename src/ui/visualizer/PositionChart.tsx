import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../../util/format.ts';

const COLORS = ['#1f6feb', '#d4a72c', '#1a7f37', '#cf222e', '#8250df', '#0a7ea4', '#bc4c00', '#57606a'];

/**
 * One position's candidates: the tokens that were ever the prediction's
 * argmax plus the final frame's top candidates (at most 8), and their
 * predicted probability over t. Gaps: the token was outside that frame's top-k.
 */
export function PositionChart({ frames, row, pieces, position }: { frames: FrameSummary[]; row: number; pieces: string[]; position: number }) {
  const el = useRef<HTMLDivElement>(null);
  const last = frames[frames.length - 1];
  const k = last.k;
  const ids: number[] = [];
  for (const f of frames) if (!ids.includes(f.argmaxP[row])) ids.push(f.argmaxP[row]);
  for (let j = 0; j < k && ids.length < 8; j++) if (!ids.includes(last.pIds[row * k + j])) ids.push(last.pIds[row * k + j]);
  ids.splice(8);
  const key = ids.join(',');

  useEffect(() => {
    if (!el.current) return;
    const xs = frames.map((f) => f.t);
    const ys = ids.map((id) => frames.map((f) => {
      for (let j = 0; j < f.k; j++) if (f.pIds[row * f.k + j] === id) return f.pProbs[row * f.k + j];
      return null;
    }));
    const plot = new uPlot({
      width: Math.max(320, el.current.clientWidth), height: 220,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [{ label: 't' }, { label: 'probability' }],
      series: [{ label: 't' }, ...ids.map((id, i) => ({ label: JSON.stringify(visiblePiece(pieces[id])), stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } }))],
    }, [xs, ...ys] as uPlot.AlignedData, el.current);
    return () => plot.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [frames, row, key]);

  return (
    <div className="group" data-testid="position-chart" data-position={position} data-series={ids.length}>
      <h4>Position {position}: its top candidates' probability over t</h4>
      <div ref={el} className="chart" />
    </div>
  );
}
