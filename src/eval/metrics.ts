/**
 * Evaluation metrics (definitions in docs/evaluation.md, after the paper's):
 * - unigram entropy of one sample: H = −Σ_v (n_v/L) ln(n_v/L) over the
 *   histogram of its L tokens, in nats; a row reports the mean over samples
 *   (collapsed, repetitive samples score low, real text about 2.8 here),
 *   next to the same figure for held-out real text (`relativeToData`);
 * - generative perplexity under the judge: exp of the mean NLL over all
 *   scored tokens of the row (every sample has L tokens, so this is exp of
 *   the mean of the per-sample mean NLLs).
 */

/** Unigram entropy (nats) of the token histogram of one sequence. */
export function sampleEntropy(tokens: ArrayLike<number>): number {
  const n = tokens.length;
  if (n === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(tokens[i], (counts.get(tokens[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log(p);
  }
  return h;
}

/** Mean per-sample unigram entropy of `count` sequences of `length` tokens laid end to end. */
export function meanSampleEntropy(tokens: Uint32Array, count: number, length: number): number {
  if (count <= 0) return NaN;
  let s = 0;
  for (let i = 0; i < count; i++) s += sampleEntropy(tokens.subarray(i * length, (i + 1) * length));
  return s / count;
}

/**
 * How far a row's figure lies from the real text's, as a signed fraction of
 * the latter (−0.067: 6.7 % below the data's); null when there is no data
 * figure to compare with (or it is 0, or either is not finite).
 */
export function relativeToData(x: number, data: number | null | undefined): number | null {
  if (data === null || data === undefined || data === 0 || !Number.isFinite(data) || !Number.isFinite(x)) return null;
  return x / data - 1;
}

/** exp(mean NLL) over equally long samples, from their per-sample mean NLLs. */
export function generativePerplexity(perSampleNll: ArrayLike<number>): number {
  return Math.exp(mean(perSampleNll));
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * `count` windows of `length` tokens from a held-out token stream, spread
 * evenly over its non-overlapping windows [k·L, (k+1)·L) (deterministic).
 */
export function heldOutWindows(val: Uint32Array, length: number, count: number): Uint32Array {
  const windows = Math.floor(val.length / length);
  if (windows < count) throw new RangeError(`the held-out text has ${windows} windows of ${length} tokens; ${count} were asked for`);
  const out = new Uint32Array(count * length);
  for (let i = 0; i < count; i++) {
    const w = Math.floor((i * windows) / count);
    out.set(val.subarray(w * length, (w + 1) * length), i * length);
  }
  return out;
}
