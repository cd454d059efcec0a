/**
 * The chart tokens of tokens.css (--chart-1…4, --chart-axis, --chart-grid) as
 * uPlot takes them: uPlot draws on a canvas, which reads no CSS. They are read
 * from the chart's own box, where the figure palette applies.
 */
export interface ChartTheme {
  /** A run's own line, its validation points, a reference line, a second model's line. */
  series: [string, string, string, string];
  axis: string;
  grid: string;
}

export function chartTheme(el: Element): ChartTheme {
  const css = getComputedStyle(el);
  // Without the stylesheet (a token missing) everything is drawn in the box's text colour.
  const token = (name: string) => css.getPropertyValue(name).trim() || css.color;
  return {
    series: [token('--chart-1'), token('--chart-2'), token('--chart-3'), token('--chart-4')],
    axis: token('--chart-axis'),
    grid: token('--chart-grid'),
  };
}
