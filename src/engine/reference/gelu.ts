import type { GeluApprox } from '../backend.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

export function geluScalar(x: number, approx: GeluApprox): number {
  if (approx === 'tanh') return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + erf(x * INV_SQRT_2));
}

export function geluGradScalar(x: number, approx: GeluApprox): number {
  if (approx === 'tanh') {
    const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    const th = Math.tanh(u);
    const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du;
  }
  return 0.5 * (1 + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export function gelu(out: Float32Array, x: Float32Array, n: number, approx: GeluApprox): void {
  for (let i = 0; i < n; i++) out[i] = geluScalar(x[i], approx);
}

export function geluBackward(
  dx: Float32Array, x: Float32Array, dy: Float32Array, n: number, approx: GeluApprox, accumulate = false,
): void {
  for (let i = 0; i < n; i++) {
    const g = dy[i] * geluGradScalar(x[i], approx);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}
