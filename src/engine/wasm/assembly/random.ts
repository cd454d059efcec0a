/**
 * Philox4x32-10 (Salmon et al., SC'11), word for word the host generator
 * (src/engine/host/philox.ts): element i of stream (key, counter) is word
 * i%4 of block i/4. Units are Philox blocks [lo, hi), so any split of a
 * stream gives the same words.
 */
import { ld, st } from './math';

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

/** Box–Muller over word pairs: out[i], out[i+1] = rad·(cos θ, sin θ), rad = fround(√(−2 ln u1)), θ = 2π·u2. */
export function gaussian(out: usize, n: i32, counter: u32, k0: u32, k1: u32, lo: i32, hi: i32): void {
  for (let blk = lo; blk < hi; blk++) {
    philox(<u32>blk, counter, k0, k1);
    const i = blk * 4;
    let rad = <f64><f32>Math.sqrt(-2 * Math.log(toUnit(w0)));
    let th = 2 * Math.PI * toUnit(w1);
    if (i < n) st(out, i, <f32>(rad * Math.cos(th)));
    if (i + 1 < n) st(out, i + 1, <f32>(rad * Math.sin(th)));
    rad = <f64><f32>Math.sqrt(-2 * Math.log(toUnit(w2)));
    th = 2 * Math.PI * toUnit(w3);
    if (i + 2 < n) st(out, i + 2, <f32>(rad * Math.cos(th)));
    if (i + 3 < n) st(out, i + 3, <f32>(rad * Math.sin(th)));
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
