export function silu(out: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = x[i] / (1 + Math.exp(-x[i]));
}

/** silu'(x) = σ(x)·(1 + x·(1 − σ(x))). */
export function siluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number, accumulate = false): void {
  for (let i = 0; i < n; i++) {
    const s = 1 / (1 + Math.exp(-x[i]));
    const g = dy[i] * s * (1 + x[i] * (1 - s));
    dx[i] = accumulate ? dx[i] + g : g;
  }
}
