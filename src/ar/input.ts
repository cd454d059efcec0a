/**
 * The autoregressive judge's input: row i of sequence b is the one-hot of
 * token i − 1 (i ≥ 1) and all zeros at i = 0. The embedding of the zero row
 * is zero, so position 0 acts as a beginning-of-sequence marker; with causal
 * attention, the logits at i see tokens 0 … i − 1 only and predict token i.
 * All L tokens of a window are scored (the first one unconditionally).
 */
export function writeArInput(x: Float32Array, tokens: Uint32Array, batch: number, length: number, vocab: number): Float32Array {
  if (x.length !== batch * length * vocab) throw new RangeError(`writeArInput: x has ${x.length} floats, expected ${batch * length * vocab}`);
  if (tokens.length < batch * length) throw new RangeError(`writeArInput: ${tokens.length} tokens for ${batch} × ${length}`);
  x.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let i = 1; i < length; i++) {
      const tok = tokens[b * length + i - 1];
      if (tok >= vocab) throw new RangeError(`writeArInput: token ${tok} outside the vocabulary (${vocab})`);
      x[(b * length + i) * vocab + tok] = 1;
    }
  }
  return x;
}
