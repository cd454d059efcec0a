/**
 * The candidate columns' cells: a candidate's strength (√p of the prediction,
 * or z_t over the position's largest) as a blue wash over the figure's paper
 * (--figure-bg, white in both colour schemes, as the PNG export is), its token
 * in the figure's ink (--figure-text). The wash's strongest shade stays light
 * enough for that ink to keep 4.5:1 (WCAG AA) on every cell, so one ink serves
 * every strength (a white ink on the strong cells fell to 2.2:1 on the
 * middle ones).
 */

/** The wash at full strength, as sRGB channels. */
export const CANDIDATE_SHADE: readonly [number, number, number] = [68, 147, 248];

/** The token's ink on every cell. */
export const CANDIDATE_INK = 'var(--figure-text)';

/** A cell's background for a strength in [0, 1] (clamped; NaN is no wash). */
export function candidateBackground(strength: number): string {
  const a = Number.isFinite(strength) ? Math.max(0, Math.min(1, strength)) : 0;
  return `rgba(${CANDIDATE_SHADE.join(', ')}, ${a.toFixed(3)})`;
}
