/**
 * Keep a uPlot chart as wide as its box: the chart is drawn at a fixed pixel
 * width, so without this a chart made on a wide window stays that wide when
 * the window narrows (a phone turned, a window resized) and the page scrolls
 * sideways. Returns the function that stops following.
 */
import type uPlot from 'uplot';

export function followWidth(box: HTMLElement, plot: uPlot, minWidth: number, height: number): () => void {
  if (typeof ResizeObserver === 'undefined') return () => {};
  const ro = new ResizeObserver(() => {
    const width = Math.max(minWidth, box.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height });
  });
  ro.observe(box);
  return () => ro.disconnect();
}
