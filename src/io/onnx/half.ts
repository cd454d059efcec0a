/**
 * float32 → IEEE 754 binary16 for `--f16` ONNX initializers (round to
 * nearest, ties to even; subnormal halves kept). The io layer has its own
 * copy: file formats use only the engine's host math, never a backend.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to x (overflow gives ±Inf, NaN stays NaN). */
export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000, shift = 14 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1), tie = 1 << (shift - 1);
    if (rest > tie || (rest === tie && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves to the next exponent (up to Inf): still the nearest.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The value binary16 bits h stand for. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Every value as binary16 bits; throws naming `what` when a finite value overflows float16. */
export function toHalfArray(x: Float32Array, what: string): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const h = halfBits(x[i]);
    if ((h & 0x7c00) === 0x7c00 && Number.isFinite(x[i])) {
      throw new RangeError(`${what}[${i}] = ${x[i]} does not fit in float16 (|x| ≤ 65504): export it in float32`);
    }
    out[i] = h;
  }
  return out;
}

/** x rounded to float16 and back, element by element (what an `--f16` export computes with). */
export function roundToHalfArray(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = halfValue(halfBits(x[i]));
  return out;
}
