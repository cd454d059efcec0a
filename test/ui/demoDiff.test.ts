import { describe, expect, it } from 'vitest';
import { networkEvaluations, runsOf, tokenDiff } from '../../src/ui/demoDiff.ts';

const pieces = ['a', 'b', 'c', ' ', 'the'];
const piece = (t: number) => pieces[t] ?? '?';

describe('the Demo\'s one-step against N-step comparison', () => {
  it('marks each position same or different by token, on both sides', () => {
    const d = tokenDiff([0, 1, 2, 3], [0, 2, 2, 4], piece);
    expect(d.a.map((c) => c.same)).toEqual([true, false, true, false]);
    expect(d.b.map((c) => c.same)).toEqual([true, false, true, false]);
    expect(d.a.map((c) => c.text).join('')).toBe('abc ');
    expect(d.b.map((c) => c.text).join('')).toBe('accthe');
    expect(d).toMatchObject({ differing: 2, total: 4 });
  });

  it('counts identical samples as no difference, and a position only one side has as a difference', () => {
    expect(tokenDiff([4, 3, 4], [4, 3, 4], piece)).toMatchObject({ differing: 0, total: 3 });
    const d = tokenDiff([0, 1], [0, 1, 2], piece);
    expect(d).toMatchObject({ differing: 1, total: 3 });
    expect(d.b[2]).toEqual({ pos: 2, text: 'c', same: false });
    expect(tokenDiff([], [], piece)).toMatchObject({ differing: 0, total: 0, a: [], b: [] });
  });

  it('compares tokens, not their text: two tokens that print alike still differ', () => {
    const d = tokenDiff([0], [5], (t) => (t === 5 ? 'a' : pieces[t]));
    expect(d.differing).toBe(1);
    expect(d.a[0]).toEqual({ pos: 0, text: 'a', same: false });
  });

  it('groups neighbouring positions with the same mark into runs', () => {
    const d = tokenDiff([0, 1, 2, 3, 4], [0, 1, 0, 0, 4], piece);
    expect(runsOf(d.a)).toEqual([
      { text: 'ab', same: true, from: 0 },
      { text: 'c ', same: false, from: 2 },
      { text: 'the', same: true, from: 4 },
    ]);
    expect(runsOf([])).toEqual([]);
  });

  it('counts network evaluations: one per step, two per step for a stage-1 flow map', () => {
    expect(networkEvaluations('fmlm', 1)).toBe(1);
    expect(networkEvaluations('flm', 64)).toBe(64);
    expect(networkEvaluations('flowmap', 4)).toBe(8);
  });
});
