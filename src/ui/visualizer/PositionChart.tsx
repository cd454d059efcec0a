import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../../util/format.ts';
import { chartTheme } from '../components/chartTheme.ts';
import { followWidth } from '../components/followWidth.ts';

/** The candidates' lines: a categorical palette for the figure's white paper (the axes take the chart tokens). */
const COLORS = ['#1f6feb', '#d4a72c', '#1a7f37', '#cf222e', '#8250df', '#0a7ea4', '#bc4c00', '#57606a'];

const MIN_WIDTH = 200;
const HEIGHT = 220;

/**
 * One position's candidates: the tokens that were ever the prediction's
 * argmax plus the final frame's top candidates (at most 8), and their
 * predicted probability over t. Gaps: the token was outside that frame's top-k.
 * The chart follows its box's width (a window narrowed after drawing it).
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
    const theme = chartTheme(el.current);
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid } };
    const plot = new uPlot({
      width: Math.max(MIN_WIDTH, el.current.clientWidth), height: HEIGHT,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [{ ...axis, label: 't' }, { ...axis, label: 'probability' }],
      series: [{ label: 't' }, ...ids.map((id, i) => ({ label: JSON.stringify(visiblePiece(pieces[id])), stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } }))],
    }, [xs, ...ys] as uPlot.AlignedData, el.current);
    const unfollow = followWidth(el.current, plot, MIN_WIDTH, HEIGHT);
    return () => { unfollow(); plot.destroy(); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [frames, row, key]);

  return (
    <div className="group" data-testid="position-chart" data-position={position} data-series={ids.length}>
      <h4>Position {position}: its top candidates' probability over t</h4>
      <div ref={el} className="chart" />
    </div>
  );
}
