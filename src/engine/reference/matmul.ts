import type { MatmulParams } from '../backend.ts';

/** out[M,N] (+)= op(A)·op(B) (+ bias). Accumulates in double precision. */
export function matmul(
  out: Float32Array, a: Float32Array, b: Float32Array, p: MatmulParams, bias?: Float32Array,
): void {
  const { M, N, K } = p;
  // strides so that A(i,k) = a[i*sai + k*sak], B(k,j) = b[k*sbk + j*sbj]
  const sai = p.transA ? 1 : K, sak = p.transA ? M : 1;
  const sbk = p.transB ? 1 : N, sbj = p.transB ? K : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = bias ? bias[j] : 0;
      let ai = i * sai, bj = j * sbj;
      for (let k = 0; k < K; k++, ai += sak, bj += sbk) acc += a[ai] * b[bj];
      const o = i * N + j;
      out[o] = p.accumulate ? out[o] + acc : acc;
    }
  }
}

/** out[N] (+)= Σ_r x[r, N]. */
export function sumRows(out: Float32Array, x: Float32Array, rows: number, cols: number, accumulate = false): void {
  for (let j = 0; j < cols; j++) {
    let acc = 0;
    for (let r = 0; r < rows; r++) acc += x[r * cols + j];
    out[j] = accumulate ? out[j] + acc : acc;
  }
}
