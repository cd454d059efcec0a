import { scalar, type Scalar } from '../backend.ts';

export function axpby(out: Float32Array, aArg: Scalar, x: Float32Array, bArg: Scalar, y: Float32Array, n: number): void {
  const a = scalar(aArg), b = scalar(bArg);
  for (let i = 0; i < n; i++) out[i] = b === 0 ? a * x[i] : a * x[i] + b * y[i];
}

export function fill(out: Float32Array, value: number, n: number): void {
  out.fill(value, 0, n);
}
