import { describe, expect, it } from 'vitest';
import { generativePerplexity, heldOutWindows, meanSampleEntropy, relativeToData, sampleEntropy } from '../../src/eval/metrics.ts';
import { fmtSignedPercent } from '../../src/util/format.ts';
import { dataEntropyOf, entropyVsData, evalMarkdown, formatVsData, withEntropyVsData, type EvalResult, type EvalRow } from '../../src/eval/sweep.ts';

describe('evaluation metrics', () => {
  it('unigram entropy of a sample in nats', () => {
    expect(sampleEntropy([3, 3, 3, 3])).toBe(0);
    expect(sampleEntropy([1, 2, 1, 2])).toBeCloseTo(Math.log(2), 12);
    expect(sampleEntropy([0, 1, 2, 3])).toBeCloseTo(Math.log(4), 12);
    expect(meanSampleEntropy(Uint32Array.from([1, 1, 1, 1, 0, 1, 2, 3]), 2, 4)).toBeCloseTo(Math.log(4) / 2, 12);
  });

  it('unigram entropy: hand-computed histograms', () => {
    // [7, 7, 9]: p = 2/3, 1/3 → −(2/3)ln(2/3) − (1/3)ln(1/3) = ln 3 − (2/3) ln 2 = 0.636514168…
    expect(sampleEntropy([7, 7, 9])).toBeCloseTo(0.6365141682948128, 14);
    // [5, 5, 5, 2]: p = 3/4, 1/4 → 2 ln 2 − (3/4) ln 3 = 0.562335144…
    expect(sampleEntropy([5, 5, 5, 2])).toBeCloseTo(0.5623351446188083, 14);
    // [0, 0, 1, 1, 2, 3, 4, 5]: p = ¼, ¼, ⅛ ×4 → ½ ln 4 + ½ ln 8 = (5/2) ln 2 = 1.732867951…
    expect(sampleEntropy([0, 0, 1, 1, 2, 3, 4, 5])).toBeCloseTo(2.5 * Math.LN2, 14);
    // The order of the tokens and their ids do not matter, only the histogram.
    expect(sampleEntropy([4, 0, 5, 1, 3, 1, 2, 0])).toBeCloseTo(2.5 * Math.LN2, 14);
    expect(sampleEntropy([100000, 2 ** 31, 100000])).toBeCloseTo(sampleEntropy([7, 7, 9]), 14);
    // One token, or none: nothing to be uncertain about.
    expect(sampleEntropy([42])).toBe(0);
    expect(sampleEntropy([])).toBe(0);
  });

  it('mean per-sample entropy: each sample its own histogram, then the mean (not the entropy of the pooled tokens)', () => {
    // Two samples of one repeated token each: 0 and 0, although pooled they hold two tokens equally often (ln 2).
    expect(meanSampleEntropy(Uint32Array.from([1, 1, 1, 2, 2, 2]), 2, 3)).toBe(0);
    // (ln 3 − (2/3) ln 2 + ln 3) / 2 for [7 7 9] and [1 2 3].
    expect(meanSampleEntropy(Uint32Array.from([7, 7, 9, 1, 2, 3]), 2, 3)).toBeCloseTo((0.6365141682948128 + Math.log(3)) / 2, 14);
    expect(meanSampleEntropy(new Uint32Array(0), 0, 4)).toBeNaN();
  });

  it('entropy against the data: a signed fraction of the data row', () => {
    expect(relativeToData(2.598, 2.785)).toBeCloseTo(2.598 / 2.785 - 1, 14);
    expect(relativeToData(3, 2)).toBeCloseTo(0.5, 14);
    expect(relativeToData(2, 2)).toBe(0);
    expect(relativeToData(2, null)).toBeNull();
    expect(relativeToData(2, undefined)).toBeNull();
    expect(relativeToData(2, 0)).toBeNull();
    expect(relativeToData(NaN, 2)).toBeNull();
    expect(formatVsData(2.598 / 2.785 - 1)).toBe('−6.7 %');
    expect(formatVsData(0.5)).toBe('+50.0 %');
    expect(formatVsData(null)).toBe('—');
    expect(formatVsData(-0.00001)).toBe('+0.0 %');
    // The UI's formatter (the layers keep the two apart) says the same.
    for (const x of [2.598 / 2.785 - 1, 0.5, 0, -0.00001, -1, 0.0649]) expect(fmtSignedPercent(x)).toBe(formatVsData(x));
    expect(fmtSignedPercent(undefined)).toBe('—');
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

describe('entropy beside every generative perplexity in a result', () => {
  const row = (model: EvalRow['model'], steps: number | null, gen_ppl: number, entropy: number): EvalRow => ({
    model, name: model, steps, samples: 4, gen_ppl, nll: Math.log(gen_ppl), entropy, ms_per_sample: steps === null ? null : 5, example: 'a b',
  });
  // A result as saved before the comparison with the data was recorded.
  const old: EvalResult = {
    rows: [row('data', null, 6.07, 2.785), row('flm', 1, 146.33, 1.622), row('fmlm', 1, 55.81, 2.598)],
    judge: { name: 'judge', step: 2000, params: 1, length: 64, vocab: 64, val_ce: Math.log(6.07), val_ppl: 6.07 }, seed: 0, batch: 4,
  };

  it('fills in the data entropy and each row against it', () => {
    expect(dataEntropyOf(old)).toBe(2.785);
    const r = withEntropyVsData(old);
    expect(r.data_entropy).toBe(2.785);
    expect(r.rows.map((x) => x.entropy_vs_data)).toEqual([null, 1.622 / 2.785 - 1, 2.598 / 2.785 - 1]);
    expect(entropyVsData(r.rows[0], 2.785)).toBeNull();
    expect(dataEntropyOf({ rows: [row('flm', 1, 2, 1)] })).toBeNull();
    expect(withEntropyVsData({ ...old, rows: old.rows.slice(1) }).rows.map((x) => x.entropy_vs_data)).toEqual([null, null]);
  });

  it('the markdown table puts the entropy and its distance from the data right after each perplexity', () => {
    const md = evalMarkdown(withEntropyVsData(old));
    expect(md).toContain('| gen. perplexity | entropy (nats) | entropy vs data | NLL (nats/token) |');
    expect(md).toContain('real text (the data row): 2.785.');
    expect(md).toContain('| data | data | — | 4 | 6.070 | 2.785 | — |');
    expect(md).toContain('| flm | flm | 1 | 4 | 146.330 | 1.622 | −41.8 % |');
    expect(md).toContain('| fmlm | fmlm | 1 | 4 | 55.810 | 2.598 | −6.7 % |');
    // A result saved before: the same table.
    expect(evalMarkdown(old)).toBe(md);
  });
});
