import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LossPoint } from '../../io/checkpoint.ts';
import { STEP_INCRS, stepLabels, tickLabels } from '../chartTicks.ts';
import { chartTheme } from './chartTheme.ts';
import { followWidth } from './followWidth.ts';
import { Term } from './Term.tsx';

interface Props { history: LossPoint[]; unigram: number | null; valLabel?: string; unit?: string }

/**
 * Train loss per step and the periodic validation figure, drawn with uPlot:
 * cross-entropy (nats) for FLM training, the distillation error for the
 * distillation stages. Before a run there is nothing to draw: a line says
 * what will appear (not an empty box of "--" values).
 */
export function LossChart(props: Props) {
  if (props.history.length === 0) {
    return (
      <div className="chart chart-empty" data-testid="loss-chart" data-points={0}>
        <p>The loss curve appears here once a run starts: the training loss at every step and, now and then, the {props.valLabel ? props.valLabel : <Term k="validation CE" />} on held-out text.</p>
      </div>
    );
  }
  return <LossPlot {...props} />;
}

function LossPlot({ history, unigram, valLabel = 'validation CE', unit = 'nats' }: Props) {
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
    const theme = chartTheme(el.current);
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.current.clientWidth),
      height: 240,
      scales: { x: { time: false } },
      // Whole steps on x; y labels with the decimals that tell the ticks apart.
      axes: [
        { ...axis, label: 'step', incrs: STEP_INCRS, values: (_u, splits) => stepLabels(splits) },
        { ...axis, label: unit, size: 70, values: (_u, splits) => tickLabels(splits) },
      ],
      series: [
        {},
        { label: 'train loss', stroke: theme.series[0], width: 1.5 },
        { label: valLabel, stroke: theme.series[1], width: 2, points: { show: true }, spanGaps: true },
        { label: 'unigram entropy', stroke: theme.series[2], dash: [6, 4], width: 1, show: unigram !== null },
      ],
    };
    plot.current = new uPlot(opts, data(), el.current);
    const unfollow = followWidth(el.current, plot.current, 200, 240);
    return () => { unfollow(); plot.current?.destroy(); plot.current = null; };
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
