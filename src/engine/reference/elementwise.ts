export function axpby(out: Float32Array, a: number, x: Float32Array, b: number, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = b === 0 ? a * x[i] : a * x[i] + b * y[i];
}

export function fill(out: Float32Array, value: number, n: number): void {
  out.fill(value, 0, n);
}
