/**
 * IEEE 754 binary16 on the host (round to nearest, ties to even; subnormal
 * halves kept): host math shared by the WebGPU backend's float16 weight
 * storage (webgpu/half.ts packs the halves) and the float16 ONNX export
 * (io/onnx/half.ts).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits nearest to x (round to nearest, ties to even; overflow → ±Inf, NaN kept NaN). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  // Unbiased exponent, rebiased for binary16 (bias 15).
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand into place.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still right (up to Inf)
  return sign | h;
}

/** The value of binary16 bits h. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** x rounded to binary16 and back (what a float16 weight holds). */
export function roundToHalf(x: number): number {
  return fromHalfBits(toHalfBits(x));
}

/**
 * Every value as binary16 bits; throws a RangeError naming `what` and the
 * first finite value that overflows float16, ending with `remedy`.
 */
export function toHalfArray(x: Float32Array, what: string, remedy: string): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const h = toHalfBits(x[i]);
    if ((h & 0x7c00) === 0x7c00 && Number.isFinite(x[i])) {
      throw new RangeError(`${what}[${i}] = ${x[i]} does not fit in float16 (|x| ≤ 65504): ${remedy}`);
    }
    out[i] = h;
  }
  return out;
}

/** The bfloat16 bits nearest to x: the top half of its float32 bits, rounded to nearest, ties to even (NaN kept NaN). */
export function toBfloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff)) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Every value as bfloat16 bits (float32's range: a finite weight stays finite unless it is within half an ulp of float32's largest). */
export function toBfloat16Array(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = toBfloat16Bits(x[i]);
  return out;
}
