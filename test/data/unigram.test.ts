import { describe, it, expect } from 'vitest';
import { unigramEntropy } from '../../src/data/unigram.ts';

describe('unigramEntropy', () => {
  it('is 0 for a constant stream and for an empty one', () => {
    expect(unigramEntropy(new Uint32Array([3, 3, 3]), 4)).toBe(0);
    expect(unigramEntropy(new Uint32Array(0), 4)).toBe(0);
  });
  it('is ln V for a uniform stream', () => {
    const t = Uint32Array.from({ length: 4000 }, (_, i) => i % 8);
    expect(unigramEntropy(t, 8)).toBeCloseTo(Math.log(8), 12);
  });
  it('matches a hand computation', () => {
    // p = [1/2, 1/4, 1/4]
    const h = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25));
    expect(unigramEntropy(new Uint32Array([0, 0, 1, 2]), 3)).toBeCloseTo(h, 12);
  });
  it('rejects ids outside the vocabulary', () => {
    expect(() => unigramEntropy(new Uint32Array([0, 5]), 3)).toThrow(RangeError);
  });
});
