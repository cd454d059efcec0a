/** Entropy (nats) of the token frequency distribution: what a model that ignores context can reach. */
export function unigramEntropy(tokens: Uint32Array, vocabSize: number): number {
  const counts = new Float64Array(vocabSize);
  for (const t of tokens) counts[t]++;
  let h = 0;
  for (const c of counts) if (c > 0) { const p = c / tokens.length; h -= p * Math.log(p); }
  return h;
}
