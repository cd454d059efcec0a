import { describe, expect, it } from 'vitest';
import { generativePerplexity, heldOutWindows, meanSampleEntropy, sampleEntropy } from '../../src/eval/metrics.ts';

describe('evaluation metrics', () => {
  it('unigram entropy of a sample in nats', () => {
    expect(sampleEntropy([3, 3, 3, 3])).toBe(0);
    expect(sampleEntropy([1, 2, 1, 2])).toBeCloseTo(Math.log(2), 12);
    expect(sampleEntropy([0, 1, 2, 3])).toBeCloseTo(Math.log(4), 12);
    expect(meanSampleEntropy(Uint32Array.from([1, 1, 1, 1, 0, 1, 2, 3]), 2, 4)).toBeCloseTo(Math.log(4) / 2, 12);
  });

  it('generative perplexity is exp of the mean per-token NLL', () => {
    expect(generativePerplexity([1, 3])).toBeCloseTo(Math.exp(2), 12);
  });

  it('held-out windows are spread evenly and deterministic', () => {
    const val = Uint32Array.from({ length: 40 }, (_, i) => i);
    expect(Array.from(heldOutWindows(val, 4, 2))).toEqual([0, 1, 2, 3, 20, 21, 22, 23]);
    expect(() => heldOutWindows(val, 4, 11)).toThrow(RangeError);
  });
});
