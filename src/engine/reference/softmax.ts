function rowLogSumExp(x: Float32Array, off: number, cols: number): number {
  let mx = -Infinity;
  for (let j = 0; j < cols; j++) if (x[off + j] > mx) mx = x[off + j];
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[off + j] - mx);
  return mx + Math.log(s);
}

export function softmax(out: Float32Array, x: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(x[r * cols + j] - lse);
  }
}

export function logSoftmax(out: Float32Array, x: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const lse = rowLogSumExp(x, r * cols, cols);
    for (let j = 0; j < cols; j++) out[r * cols + j] = x[r * cols + j] - lse;
  }
}

export { rowLogSumExp };
