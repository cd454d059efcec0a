/** CPU reference of the global squared L2 norm: out[0] = Σ_{i<n} x[i]² (f64 accumulation). */
export function globalNormSq(out: Float32Array, x: Float32Array, n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  out[0] = s;
}
