import type { Scalar } from '../backend.ts';
import { scalar } from '../backend.ts';

/** Exponential moving average of weights, in place: ema = decay·ema + (1 − decay)·params. */
export function ema(emaParams: Float32Array, params: Float32Array, n: number, decay: Scalar): void {
  const d = scalar(decay), c = 1 - d;
  for (let i = 0; i < n; i++) emaParams[i] = d * emaParams[i] + c * params[i];
}
