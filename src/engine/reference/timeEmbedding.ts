export const TIME_MAX_PERIOD = 10000;

/** out[b, :] = [cos(t_b·ω_0..half−1), sin(t_b·ω_0..half−1)], ω_i = exp(−ln(10000)·i/half). */
export function timeEmbedding(out: Float32Array, t: Float32Array, batch: number, dim: number): void {
  const half = dim >> 1;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < half; i++) {
      const freq = Math.exp(-Math.log(TIME_MAX_PERIOD) * i / half);
      const arg = t[b] * freq;
      out[b * dim + i] = Math.cos(arg);
      out[b * dim + half + i] = Math.sin(arg);
    }
    if (dim % 2 === 1) out[b * dim + dim - 1] = 0;
  }
}
