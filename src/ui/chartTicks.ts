/**
 * Axis ticks for the studio's charts: whole steps on a step axis (a 4-step
 * run had ticks at 0.5, 1.5…) and value labels with just enough decimals to
 * tell every tick apart (a loss axis read "2.5, 2.5, 2.5").
 */

/** Tick spacings of a step axis: 1, 2, 5, 10, 20, 50… (never a fraction of a step). */
export const STEP_INCRS: number[] = Array.from({ length: 8 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** Labels of a step axis's ticks (whole numbers; a tick between steps is left blank). */
export const stepLabels = (splits: number[]): string[] => splits.map((v) => (Number.isInteger(v) ? String(v) : ''));

/**
 * Labels for ticks `splits` (evenly spaced, as uPlot makes them): the fewest
 * decimals that keep neighbouring labels apart, the same for every tick.
 */
export function tickLabels(splits: number[]): string[] {
  const finite = splits.filter(Number.isFinite);
  let step = Infinity;
  for (let i = 1; i < finite.length; i++) step = Math.min(step, Math.abs(finite[i] - finite[i - 1]));
  let decimals = Number.isFinite(step) && step > 0 ? Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : 2;
  decimals = Math.min(decimals, 12);
  for (; decimals <= 12; decimals++) {
    const labels = splits.map((v) => (Number.isFinite(v) ? v.toFixed(decimals) : ''));
    if (new Set(labels.filter(Boolean)).size === labels.filter(Boolean).length) return labels;
  }
  return splits.map(String);
}
