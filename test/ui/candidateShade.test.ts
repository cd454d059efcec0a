import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CANDIDATE_INK, candidateBackground } from '../../src/ui/components/candidateShade.ts';

const TOKENS = readFileSync(new URL('../../src/ui/tokens.css', import.meta.url), 'utf8');

/** A token's first declaration in tokens.css (the :root or light block), as sRGB channels 0–255. */
function token(name: string): number[] {
  const m = new RegExp(`${name}:\\s*#([0-9a-fA-F]{6})\\s*;`).exec(TOKENS);
  if (!m) throw new Error(`no hex value for ${name} in tokens.css`);
  return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
}

/** WCAG 2 relative luminance and contrast ratio. */
const luminance = (c: number[]) => {
  const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: number[], b: number[]) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

/** An rgba() background laid over an opaque ground. */
function over(rgba: string, ground: number[]): number[] {
  const m = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(rgba);
  if (!m) throw new Error(`not an rgba(): ${rgba}`);
  const a = Number(m[4]);
  return [1, 2, 3].map((i, j) => Number(m[i]) * a + ground[j] * (1 - a));
}

describe('candidate cells and chart inks against the design tokens', () => {
  it('every cell strength keeps the figure ink at 4.5:1 or more on the figure paper', () => {
    expect(CANDIDATE_INK).toBe('var(--figure-text)');
    const paper = token('--figure-bg');
    const ink = token('--figure-text');
    let worst = Infinity;
    for (let i = 0; i <= 1000; i++) worst = Math.min(worst, contrast(ink, over(candidateBackground(i / 1000), paper)));
    expect(worst).toBeGreaterThanOrEqual(4.5);
    // The strongest cell is the worst: a visible wash, not a faint one.
    expect(worst).toBeLessThan(7);
  });

  it('strengths outside [0, 1] and NaN are clamped', () => {
    expect(candidateBackground(-0.2)).toBe(candidateBackground(0));
    expect(candidateBackground(3)).toBe(candidateBackground(1));
    expect(candidateBackground(Number.NaN)).toBe(candidateBackground(0));
    expect(candidateBackground(0.25)).toMatch(/, 0\.250\)$/);
  });

  it('the charts\' axis ink (labels drawn on the canvas, which axe cannot read) keeps 4.5:1 on the chart\'s surface', () => {
    expect(contrast(token('--chart-axis'), token('--color-surface'))).toBeGreaterThanOrEqual(4.5);
  });
});
