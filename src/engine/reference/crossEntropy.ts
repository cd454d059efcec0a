import { rowLogSumExp } from './softmax.ts';

export function crossEntropy(
  ce: Float32Array, logits: Float32Array, targets: Uint32Array, rows: number, cols: number,
): void {
  for (let r = 0; r < rows; r++) ce[r] = rowLogSumExp(logits, r * cols, cols) - logits[r * cols + targets[r]];
}

export function crossEntropyBackward(
  dlogits: Float32Array, logits: Float32Array, targets: Uint32Array, dce: Float32Array, rows: number, cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(logits, r * cols, cols);
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(logits[r * cols + j] - lse) - (j === targets[r] ? 1 : 0);
      dlogits[r * cols + j] = p * dce[r];
    }
  }
}
