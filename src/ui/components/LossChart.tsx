import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LossPoint } from '../../io/checkpoint.ts';

/**
 * Train loss per step and the periodic validation figure, drawn with uPlot:
 * cross-entropy (nats) for FLM training, the distillation error for the
 * distillation stages.
 */
export function LossChart({ history, unigram, valLabel = 'validation CE', unit = 'nats' }: {
  history: LossPoint[]; unigram: number | null; valLabel?: string; unit?: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  const data = (): uPlot.AlignedData => {
    const steps = history.map((p) => p.step);
    return [
      steps,
      history.map((p) => p.loss),
      history.map((p) => (p.valCe === undefined ? null : p.valCe)),
      history.map(() => unigram),
    ] as uPlot.AlignedData;
  };

  useEffect(() => {
    if (!el.current) return;
    const opts: uPlot.Options = {
      width: Math.max(320, el.current.clientWidth),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: unit, size: 70, values: (_u, vals) => vals.map((v) => (v === 0 || Math.abs(v) >= 0.01 ? String(+v.toFixed(3)) : v.toExponential(1))) }],
      series: [
        {},
        { label: 'train loss', stroke: '#1f6feb', width: 1.5 },
        { label: valLabel, stroke: '#d4a72c', width: 2, points: { show: true }, spanGaps: true },
        { label: 'unigram entropy', stroke: '#8c959f', dash: [6, 4], width: 1, show: unigram !== null },
      ],
    };
    plot.current = new uPlot(opts, data(), el.current);
    return () => { plot.current?.destroy(); plot.current = null; };
    // created once; data updates below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    p.setData(data());
    // The unigram line appears once the run reports its entropy (the chart exists before the run starts).
    const show = unigram !== null;
    if (p.series[3].show !== show) p.setSeries(3, { show });
  });

  return <div ref={el} className="chart" data-testid="loss-chart" data-points={history.length} />;
}
