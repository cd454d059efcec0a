import { describe, expect, it } from 'vitest';
import { TokenNgram } from '../../src/eval/tokenNgram.ts';

describe('token unigram and bigram samples (the floors of the text statistics)', () => {
  it('unigram: tokens in proportion to their counts, never a token that does not occur', () => {
    const m = TokenNgram.fit([0, 0, 0, 2, 0, 0, 2, 0], 4); // 6 × token 0, 2 × token 2
    const all = m.sampleUnigram(40, 100, 1).flatMap((s) => [...s]);
    const share = all.filter((t) => t === 0).length / all.length;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
    expect(all.every((t) => t === 0 || t === 2)).toBe(true);
  });

  it('bigram: each token follows one the corpus follows it with; a last-only token falls back to the unigram', () => {
    const m = TokenNgram.fit([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 4], 5);
    for (const s of m.sampleBigram(20, 30, 3)) {
      for (let j = 1; j < s.length; j++) {
        const p = s[j - 1], t = s[j];
        if (p === 1) expect([2, 4]).toContain(t);
        else if (p === 2) expect(t).toBe(3);
        else if (p === 3) expect(t).toBe(1);
        else expect(p).toBe(4); // 4 is followed by nothing: the next token comes from the unigram
      }
    }
  });

  it('the same seed gives the same text; another seed other text', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 97);
    const m = TokenNgram.fit(ids, 100);
    expect(m.sampleBigram(4, 40, 9)).toEqual(m.sampleBigram(4, 40, 9));
    expect(m.sampleUnigram(4, 40, 9)).toEqual(m.sampleUnigram(4, 40, 9));
    expect(m.sampleUnigram(4, 40, 10)).not.toEqual(m.sampleUnigram(4, 40, 9));
  });

  it('refuses a token outside the vocabulary', () => {
    expect(() => TokenNgram.fit([0, 5], 5)).toThrow(/token 5 at 1 is outside the vocabulary of 5/);
  });
});
