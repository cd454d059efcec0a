/**
 * float32 → IEEE 754 binary16 for `--f16` ONNX initializers. The rounding is
 * the engine's host math (engine/host/half.ts), the same the WebGPU backend's
 * float16 weights use.
 */
import { roundToHalf, toHalfArray as hostHalfArray } from '../../engine/host/half.ts';

/** Every value as binary16 bits; throws naming `what` when a finite value overflows float16. */
export function toHalfArray(x: Float32Array, what: string): Uint16Array {
  return hostHalfArray(x, what, 'export it in float32');
}

/** x rounded to float16 and back, element by element (what an `--f16` export computes with). */
export function roundToHalfArray(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = roundToHalf(x[i]);
  return out;
}
