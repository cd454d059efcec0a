/**
 * Philox4x32-10 (Salmon et al., SC'11), word for word the host generator
 * (src/engine/host/philox.ts): element i of stream (key, counter) is word
 * i%4 of block i/4. Units are Philox blocks [lo, hi), so any split of a
 * stream gives the same words.
 */
import { cosSmall, ld, logUnitV, sinSmall, st } from './math';

const M0: u32 = 0xd2511f53, M1: u32 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9, W1: u32 = 0xbb67ae85;

let w0: u32 = 0, w1: u32 = 0, w2: u32 = 0, w3: u32 = 0;

// @ts-ignore: decorator
@inline function mulhi(a: u32, b: u32): u32 {
  return <u32>((<u64>a * <u64>b) >> 32);
}

/** Sets w0..w3 to philox4x32_10((c0, c1, 0, 0), (k0, k1)). */
function philox(c0: u32, c1: u32, k0: u32, k1: u32): void {
  let c2: u32 = 0, c3: u32 = 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = M0 * c0;
    const hi1 = mulhi(M1, c2), lo1 = M1 * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += W0;
    k1 += W1;
  }
  w0 = c0; w1 = c1; w2 = c2; w3 = c3;
}

// @ts-ignore: decorator
@inline function toUnit(x: u32): f64 {
  return (<f64>(x >>> 8) + 0.5) / 16777216;
}

/** Raw words (for tests): out[i] = word i of the stream, blocks [lo, hi). */
export function philoxWords(out: usize, n: i32, counter: u32, k0: u32, k1: u32, lo: i32, hi: i32): void {
  for (let blk = lo; blk < hi; blk++) {
    philox(<u32>blk, counter, k0, k1);
    const i = blk * 4;
    if (i < n) store<u32>(out + (<usize>i << 2), w0);
    if (i + 1 < n) store<u32>(out + (<usize>(i + 1) << 2), w1);
    if (i + 2 < n) store<u32>(out + (<usize>(i + 2) << 2), w2);
    if (i + 3 < n) store<u32>(out + (<usize>(i + 3) << 2), w3);
  }
}

/**
 * Box–Muller in f32x4 over the word pairs (u1, u2) of two Philox blocks:
 * rad = √(−2 ln u1), θ = 2π·u2 reduced exactly on the integer behind u2
 * (q = round(4·u2), r = u2 − q/4, then 2π·r ∈ [−π/4, π/4] and the quadrant
 * q), so the polynomials see small arguments; ≈3 ulp of rad·(cos θ, sin θ).
 * Block b gives out[4b..4b+3] = rad₀(cos θ₀, sin θ₀), rad₁(cos θ₁, sin θ₁).
 */
export function gaussian(out: usize, n: i32, counter: u32, k0: u32, k1: u32, lo: i32, hi: i32): void {
  for (let blk = lo; blk < hi; blk += 2) {
    philox(<u32>blk, counter, k0, k1);
    let wa = i32x4.splat(w0); wa = i32x4.replace_lane(wa, 1, w2);
    let wb = i32x4.splat(w1); wb = i32x4.replace_lane(wb, 1, w3);
    const two = blk + 1 < hi;
    if (two) {
      philox(<u32>(blk + 1), counter, k0, k1);
      wa = i32x4.replace_lane(i32x4.replace_lane(wa, 2, w0), 3, w2);
      wb = i32x4.replace_lane(i32x4.replace_lane(wb, 2, w1), 3, w3);
    } else {
      wa = i32x4.replace_lane(i32x4.replace_lane(wa, 2, w0), 3, w2);
      wb = i32x4.replace_lane(i32x4.replace_lane(wb, 2, w1), 3, w3);
    }
    // The uniforms are (2N + 1)/2^25 with N = w >> 8: work on n = 2N + 1 (exact integers).
    const na = i32x4.add(i32x4.shl(i32x4.shr_u(wa, 8), 1), i32x4.splat(1));
    const nb = i32x4.add(i32x4.shl(i32x4.shr_u(wb, 8), 1), i32x4.splat(1));
    const rad = f32x4.sqrt(f32x4.mul(f32x4.splat(-2), logUnitV(na)));
    // θ = 2π·u2 = qπ/2 + 2π·r with q = round(4·u2) and r = (n − q·2^23)/2^25 exact.
    const qi = i32x4.shr_u(i32x4.add(nb, i32x4.splat(4194304)), 23);
    const r = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(nb, i32x4.shl(qi, 23))), f32x4.splat(<f32>(6.283185307179586 / 33554432)));
    const z = f32x4.mul(r, r);
    const s = sinSmall(r, z), c = cosSmall(z);
    const swap = i32x4.ne(v128.and(qi, i32x4.splat(1)), i32x4.splat(0));
    const cosNeg = i32x4.shl(v128.and(i32x4.add(qi, i32x4.splat(1)), i32x4.splat(2)), 30);
    const sinNeg = i32x4.shl(v128.and(qi, i32x4.splat(2)), 30);
    const cosv = v128.xor(v128.bitselect(s, c, swap), cosNeg);
    const sinv = v128.xor(v128.bitselect(c, s, swap), sinNeg);
    const rc = f32x4.mul(rad, cosv), rs = f32x4.mul(rad, sinv);
    const first = v128.shuffle<f32>(rc, rs, 0, 4, 1, 5), second = v128.shuffle<f32>(rc, rs, 2, 6, 3, 7);
    const i = blk * 4;
    if (i + 4 <= n) v128.store(out + (<usize>i << 2), first);
    else {
      if (i < n) st(out, i, f32x4.extract_lane(first, 0));
      if (i + 1 < n) st(out, i + 1, f32x4.extract_lane(first, 1));
      if (i + 2 < n) st(out, i + 2, f32x4.extract_lane(first, 2));
    }
    if (two) {
      const j = i + 4;
      if (j + 4 <= n) v128.store(out + (<usize>j << 2), second);
      else {
        if (j < n) st(out, j, f32x4.extract_lane(second, 0));
        if (j + 1 < n) st(out, j + 1, f32x4.extract_lane(second, 1));
        if (j + 2 < n) st(out, j + 2, f32x4.extract_lane(second, 2));
      }
    }
  }
}

/** out = x·scale where (word >> 8) ≥ threshold, else 0. */
export function dropout(out: usize, x: usize, n: i32, threshold: u32, scale: f64, counter: u32, k0: u32, k1: u32, lo: i32, hi: i32): void {
  for (let blk = lo; blk < hi; blk++) {
    philox(<u32>blk, counter, k0, k1);
    const i = blk * 4;
    if (i < n) st(out, i, (w0 >>> 8) >= threshold ? <f32>(<f64>ld(x, i) * scale) : 0);
    if (i + 1 < n) st(out, i + 1, (w1 >>> 8) >= threshold ? <f32>(<f64>ld(x, i + 1) * scale) : 0);
    if (i + 2 < n) st(out, i + 2, (w2 >>> 8) >= threshold ? <f32>(<f64>ld(x, i + 2) * scale) : 0);
    if (i + 3 < n) st(out, i + 3, (w3 >>> 8) >= threshold ? <f32>(<f64>ld(x, i + 3) * scale) : 0);
  }
}
