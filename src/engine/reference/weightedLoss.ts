import type { WeightedLossTensors } from '../backend.ts';

/**
 * perToken = exp(−w_b)·ce + w_b (w null: ce); loss = mean over B·L tokens.
 * dce = d loss/d ce per token; dw_b = Σ_l (1 − exp(−w_b)·ce)/(B·L).
 */
export function weightedLoss(
  { perToken, loss, dce, dw, ce, w }: WeightedLossTensors<Float32Array>, batch: number, length: number,
): void {
  const n = batch * length;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const wb = w ? w[b] : 0;
    const e = Math.exp(-wb);
    let gw = 0;
    for (let l = 0; l < length; l++) {
      const i = b * length + l;
      const v = w ? e * ce[i] + wb : ce[i];
      perToken[i] = v;
      total += v;
      dce[i] = (w ? e : 1) / n;
      gw += (1 - e * ce[i]) / n;
    }
    if (dw && w) dw[b] = gw;
  }
  loss[0] = total / n;
}
