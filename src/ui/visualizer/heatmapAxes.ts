/**
 * The heatmap's axes: which positions and which frames get a tick label,
 * and the stops of its colour scale.
 */

/** Tick positions along an axis of `n` cells: 0, every `every`-th cell, and the last. */
export function axisTicks(n: number, every: number): number[] {
  if (n <= 0) return [];
  const out: number[] = [];
  for (let i = 0; i < n; i += Math.max(1, every)) out.push(i);
  const last = n - 1;
  // The last cell, unless a tick sits right next to it (the labels would overlap).
  if (out[out.length - 1] !== last) {
    if (last - out[out.length - 1] < Math.max(1, every) / 2) out.pop();
    out.push(last);
  }
  return out;
}

/** A tick spacing that gives about `labels` labels over `n` cells (1, 2, 4, 8, 16…). */
export const tickEvery = (n: number, labels: number): number => 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, n / Math.max(1, labels)))));

/** What the colour scale's ends mean in each mode. */
export function scaleEnds(mode: 'entropy' | 'final'): { low: string; high: string; title: string } {
  return mode === 'entropy'
    ? { low: '0: certain', high: '1: uniform', title: 'entropy of the prediction / ln V' }
    : { low: '0', high: '1', title: 'probability of the finally chosen token' };
}

/** The top-k mass heatmap's colour scale. */
export function massScaleEnds(k: number): { low: string; high: string; title: string } {
  return { low: '0', high: `1: all of p in the top-${k}`, title: `probability mass of the prediction's top-${k} candidates` };
}

/** Pixels per position in the panels with positions down the side: up to 10, about 480 px in all, at least 2. */
export const rowHeight = (positions: number): number => Math.max(2, Math.min(10, Math.floor(480 / Math.max(1, positions))));

/**
 * How a label centred on a tick at `at` (a fraction of the axis) is aligned:
 * near an end it starts or ends at the tick instead, so it stays inside the axis.
 */
export const labelAlign = (at: number): 'start' | 'end' | undefined => (at < 0.08 ? 'start' : at > 0.92 ? 'end' : undefined);
