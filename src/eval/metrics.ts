/**
 * Evaluation metrics of issue 6 (definitions in docs/evaluation.md):
 * - unigram entropy of one sample: H = −Σ_v (n_v/L) ln(n_v/L) over the
 *   histogram of its L tokens, in nats; a row reports the mean over samples
 *   (collapsed, repetitive samples score low, real text about 2.9 here);
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
