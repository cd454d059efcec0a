import type { AttentionBackwardTensors, AttentionParams, AttentionTensors } from '../backend.ts';

/** Raw score after scaling and the optional softcap c·tanh(s/c). */
function capped(s: number, cap: number): number {
  return cap > 0 ? cap * Math.tanh(s / cap) : s;
}

/**
 * o [B, L, D] (heads concatenated), att [B, H, L, L] = softmax(softcap(q·kᵀ/√d)).
 * With `p.causal`, keys j > i are masked (their probabilities are exactly 0).
 */
export function attention({ o, att, q, k, v }: AttentionTensors<Float32Array>, p: AttentionParams): void {
  const { batch: B, length: L, heads: H, headDim: d, softcap } = p;
  const D = H * d, scale = 1 / Math.sqrt(d);
  const row = new Float64Array(L);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const base = (b * H + h) * L;
    for (let i = 0; i < L; i++) {
      let mx = -Infinity;
      const last = p.causal ? i : L - 1;
      row.fill(0, last + 1);
      for (let j = 0; j <= last; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[(base + i) * d + c] * k[(base + j) * d + c];
        row[j] = capped(s * scale, softcap);
        if (row[j] > mx) mx = row[j];
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) { row[j] = Math.exp(row[j] - mx); sum += row[j]; }
      const arow = (base + i) * L;
      for (let j = 0; j < L; j++) att[arow + j] = row[j] / sum;
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j < L; j++) acc += (row[j] / sum) * v[(base + j) * d + c];
        o[(b * L + i) * D + h * d + c] = acc;
      }
    }
  }
}

/**
 * Backward of attention. dS = P ∘ (dP − rowsum(P ∘ dP)) with dP = dO·vᵀ and
 * rowsum(P ∘ dP) = dO·o; through the softcap dR = dS·(1 − tanh²(r/c)).
 * scratch [B, H, L, L] receives dR. With `p.causal` the masked entries have
 * P = 0, so dR = 0 there and no gradient reaches future keys.
 */
export function attentionBackward(
  { dq, dk, dv, scratch, dout, att, q, k, v, o }: AttentionBackwardTensors<Float32Array>, p: AttentionParams,
): void {
  const { batch: B, length: L, heads: H, headDim: d, softcap } = p;
  const D = H * d, scale = 1 / Math.sqrt(d);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const base = (b * H + h) * L;
    for (let i = 0; i < L; i++) {
      const orow = (b * L + i) * D + h * d;
      let delta = 0;
      for (let c = 0; c < d; c++) delta += dout[orow + c] * o[orow + c];
      for (let j = 0; j < L; j++) {
        let dp = 0;
        for (let c = 0; c < d; c++) dp += dout[orow + c] * v[(base + j) * d + c];
        let ds = att[(base + i) * L + j] * (dp - delta);
        if (p.causal && j > i) ds = 0;
        if (softcap > 0) {
          let r = 0;
          for (let c = 0; c < d; c++) r += q[(base + i) * d + c] * k[(base + j) * d + c];
          const th = Math.tanh((r * scale) / softcap);
          ds *= 1 - th * th;
        }
        scratch[(base + i) * L + j] = ds * scale;
      }
    }
    for (let i = 0; i < L; i++) for (let c = 0; c < d; c++) {
      let acc = 0;
      for (let j = 0; j < L; j++) acc += scratch[(base + i) * L + j] * k[(base + j) * d + c];
      dq[(base + i) * d + c] = acc;
    }
    for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) {
      let ak = 0, av = 0;
      for (let i = 0; i < L; i++) {
        ak += scratch[(base + i) * L + j] * q[(base + i) * d + c];
        av += att[(base + i) * L + j] * dout[(b * L + i) * D + h * d + c];
      }
      dk[(base + j) * d + c] = ak;
      dv[(base + j) * d + c] = av;
    }
  }
}
