/** Rotary position embedding frequencies (host math shared by every backend and the checkpoint format). */
export const ROPE_BASE = 10000;

/** inv_freq_i = 1 / 10000^(2i/d), i < d/2 (the official `rotary_emb.inv_freq`). */
export function ropeInvFreq(headDim: number): Float32Array {
  const half = headDim >> 1;
  const f = new Float32Array(half);
  for (let i = 0; i < half; i++) f[i] = 1 / Math.pow(ROPE_BASE, (2 * i) / headDim);
  return f;
}
