/**
 * Entropy, in nats, of the token frequency distribution of `tokens`:
 * H = −Σ p(v) ln p(v) with p(v) = count(v) / n.
 *
 * This is the cross-entropy a model that ignores context entirely (predicts the
 * unigram frequencies) would reach on this stream, so a trained model's loss
 * well below it shows it learned more than character frequencies.
 * Returns 0 for an empty stream. Throws RangeError for an id ≥ vocabSize.
 */
export function unigramEntropy(tokens: Uint32Array, vocabSize: number): number {
  if (tokens.length === 0) return 0;
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t >= vocabSize) throw new RangeError(`unigramEntropy: token id ${t} at ${i} is outside the vocabulary of ${vocabSize}`);
    counts[t]++;
  }
  const n = tokens.length;
  let h = 0;
  for (let v = 0; v < vocabSize; v++) {
    const c = counts[v];
    if (c > 0) h -= (c / n) * Math.log(c / n);
  }
  return h;
}
