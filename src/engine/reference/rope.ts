import type { AttentionParams } from '../backend.ts';
import { ropeInvFreq } from '../host/rope.ts';

/** qkv [B, L, 3D] → q, k (rotated), v in [B, H, L, d]. */
export function rope(
  q: Float32Array, k: Float32Array, v: Float32Array, qkv: Float32Array, p: AttentionParams,
): void {
  const { batch: B, length: L, heads: H, headDim: d } = p;
  const D = H * d, half = d >> 1;
  const inv = ropeInvFreq(d);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
    const src = (b * L + l) * 3 * D;
    for (let h = 0; h < H; h++) {
      const dst = ((b * H + h) * L + l) * d;
      for (let i = 0; i < half; i++) {
        const ang = l * inv[i];
        const c = Math.cos(ang), s = Math.sin(ang);
        for (const [which, out] of [[0, q], [1, k]] as const) {
          const x1 = qkv[src + which * D + h * d + i];
          const x2 = qkv[src + which * D + h * d + half + i];
          out[dst + i] = x1 * c - x2 * s;
          out[dst + half + i] = x1 * s + x2 * c;
        }
      }
      for (let j = 0; j < d; j++) v[dst + j] = qkv[src + 2 * D + h * d + j];
    }
  }
}

/** dqkv [B, L, 3D] from dq, dk, dv [B, H, L, d] (transpose of the rotation). */
export function ropeBackward(
  dqkv: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, p: AttentionParams,
): void {
  const { batch: B, length: L, heads: H, headDim: d } = p;
  const D = H * d, half = d >> 1;
  const inv = ropeInvFreq(d);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
    const dst = (b * L + l) * 3 * D;
    for (let h = 0; h < H; h++) {
      const src = ((b * H + h) * L + l) * d;
      for (let i = 0; i < half; i++) {
        const ang = l * inv[i];
        const c = Math.cos(ang), s = Math.sin(ang);
        for (const [which, g] of [[0, dq], [1, dk]] as const) {
          const g1 = g[src + i], g2 = g[src + half + i];
          dqkv[dst + which * D + h * d + i] = g1 * c + g2 * s;
          dqkv[dst + which * D + h * d + half + i] = -g1 * s + g2 * c;
        }
      }
      for (let j = 0; j < d; j++) dqkv[dst + 2 * D + h * d + j] = dv[src + j];
    }
  }
}
