import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { EvalRow } from '../../eval/sweep.ts';
import { fmtSignedPercent } from '../../util/format.ts';
import { chartTheme, type ChartTheme } from './chartTheme.ts';
import { followWidth } from './followWidth.ts';

type EvalRowView = EvalRow;

/** A model kind's line, from the chart tokens: the FLM the first series, the FMLM the fourth, any other the second; the real text is the reference line. */
function strokeOf(kind: string, theme: ChartTheme): string {
  if (kind === 'flm') return theme.series[0];
  if (kind === 'fmlm') return theme.series[3];
  if (kind === 'data') return theme.series[2];
  return theme.series[1];
}

/** What a chart plots of each row: generative perplexity (log scale) or entropy (linear). */
interface Metric { of: (r: EvalRowView) => number; label: string; log: boolean }
const PPL: Metric = { of: (r) => r.gen_ppl, label: 'generative perplexity', log: true };
const ENTROPY: Metric = { of: (r) => r.entropy, label: 'entropy (nats)', log: false };

/**
 * A metric of the rows against an x of each row (steps or ms per sample),
 * x log-scaled, one series per model kind; the data row is a dashed line.
 */
function RowChart({ rows, x, label, metric = PPL, testid }: { rows: EvalRowView[]; x: (r: EvalRowView) => number | null; label: string; metric?: Metric; testid: string }) {
  const el = useRef<HTMLDivElement>(null);
  const kinds = [...new Set(rows.filter((r) => r.model !== 'data').map((r) => r.model))];
  const data = rows.find((r) => r.model === 'data');
  const key = JSON.stringify(rows.map((r) => [r.model, r.steps, metric.of(r), r.ms_per_sample]));

  useEffect(() => {
    if (!el.current) return;
    const points = rows.filter((r) => r.model !== 'data' && (x(r) ?? 0) > 0 && Number.isFinite(metric.of(r)));
    const xs = [...new Set(points.map((r) => x(r)!))].sort((a, b) => a - b);
    if (!xs.length) return;
    const series: (number | null)[][] = kinds.map((k) => xs.map((v) => { const r = points.find((p) => p.model === k && x(p) === v); return r ? metric.of(r) : null; }));
    const aligned = [xs, ...series, ...(data ? [xs.map(() => metric.of(data))] : [])] as uPlot.AlignedData;
    const theme = chartTheme(el.current);
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid } };
    const plot = new uPlot({
      width: Math.max(200, el.current.clientWidth),
      height: 260,
      scales: { x: { time: false, distr: 3, log: 2 }, y: metric.log ? { distr: 3, log: 10 } : {} },
      axes: [{ ...axis, label }, { ...axis, label: metric.label, size: 60 }],
      series: [
        {},
        ...kinds.map((k) => ({ label: k.toUpperCase(), stroke: strokeOf(k, theme), width: 2, points: { show: true, size: 7 }, spanGaps: true })),
        ...(data ? [{ label: 'real text', stroke: strokeOf('data', theme), dash: [6, 4], width: 1.5, points: { show: false } }] : []),
      ],
    }, aligned, el.current);
    const unfollow = followWidth(el.current, plot, 200, 260);
    return () => { unfollow(); plot.destroy(); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return <div ref={el} className="chart" data-testid={testid} data-points={rows.length} />;
}

export function EvalCharts({ rows }: { rows: EvalRowView[] }) {
  if (!rows.some((r) => r.model !== 'data')) return null;
  return (
    <div className="columns">
      <div><h3>Perplexity against steps</h3><RowChart rows={rows} x={(r) => r.steps} label="steps (log)" testid="eval-chart-steps" /></div>
      <div><h3>Entropy against steps</h3><RowChart rows={rows} x={(r) => r.steps} label="steps (log)" metric={ENTROPY} testid="eval-chart-entropy" /></div>
      <div><h3>Perplexity against time per sample</h3><RowChart rows={rows} x={(r) => r.ms_per_sample} label="ms per sample (log)" testid="eval-chart-time" /></div>
    </div>
  );
}

/**
 * One row per model and step count: every generative perplexity with the
 * samples' entropy beside it and that entropy against the real text's (the
 * data row), since text that repeats itself can score a low perplexity.
 */
export function EvalTable({ rows }: { rows: EvalRowView[] }) {
  const dataEntropy = rows.find((r) => r.model === 'data')?.entropy;
  // The sweep (and the worker, for results saved before) fills entropy_vs_data; computed here only if a row lacks it.
  const vsData = (r: EvalRowView) => r.model === 'data' ? null
    : r.entropy_vs_data ?? (dataEntropy ? r.entropy / dataEntropy - 1 : null);
  return (
    <table className="eval-table" data-testid="eval-table">
      <thead>
        <tr><th>model</th><th>steps</th><th>samples</th><th>gen. perplexity</th><th>entropy (nats)</th><th>entropy vs real text</th><th>ms / sample</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const vs = vsData(r);
          return (
            <tr key={`${r.model}-${r.steps}`} data-testid="eval-row" data-model={r.model} data-steps={r.steps} data-ppl={r.gen_ppl} data-entropy={r.entropy}
              data-entropy-vs-data={vs ?? undefined}>
              <td>{r.model === 'data' ? 'real text (validation)' : r.model.toUpperCase()}</td>
              <td>{r.steps ?? '—'}</td>
              <td>{r.samples}</td>
              <td>{r.gen_ppl.toFixed(2)}</td>
              <td>{r.entropy.toFixed(3)}</td>
              <td>{fmtSignedPercent(vs)}</td>
              <td>{r.ms_per_sample === null ? '—' : r.ms_per_sample.toFixed(1)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
