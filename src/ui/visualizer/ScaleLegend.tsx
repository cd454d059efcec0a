import { RAMP_GRADIENT } from './colors.ts';

/** The colour scale under a heatmap: the ramp between its two ends' words, and what the colour measures. */
export function ScaleLegend({ ends, className, testId }: {
  ends: { low: string; high: string; title: string };
  className: string;
  testId: string;
}) {
  return (
    <div className={className} data-testid={testId}>
      <span>{ends.low}</span>
      <span className="bar" style={{ background: RAMP_GRADIENT }} aria-hidden="true" />
      <span>{ends.high}</span>
      <span className="title">{ends.title}</span>
    </div>
  );
}
