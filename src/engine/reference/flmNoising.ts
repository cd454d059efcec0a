/** x[b, l, v] = (1 − γ_b)·ε[b, l, v] + γ_b·[v = target[b, l]]. */
export function flmNoising(
  x: Float32Array, eps: Float32Array, targets: Uint32Array, gamma: Float32Array,
  batch: number, length: number, vocab: number,
): void {
  for (let b = 0; b < batch; b++) {
    const g = gamma[b];
    for (let l = 0; l < length; l++) {
      const row = (b * length + l) * vocab, tgt = targets[b * length + l];
      for (let v = 0; v < vocab; v++) x[row + v] = (1 - g) * eps[row + v] + (v === tgt ? g : 0);
    }
  }
}
