/**
 * out[M,N] (+)= op(A)·op(B) (+ bias[N]), f32, GotoBLAS-style:
 *
 * - the output is cut into MC×NC blocks, the *units* of work: a unit
 *   computes its block completely (bias and accumulate, then every K slice in
 *   order), so any split of the units over threads gives the same bits;
 * - per K slice of KC, the unit packs its A block into MR-row micro-panels
 *   [kc][MR] and its B block into NR-column micro-panels [kc][NR] (this is
 *   where the transposes are absorbed: the micro-kernel sees one layout);
 * - a 4×8 micro-kernel keeps 8 f32x4 accumulators in registers and streams
 *   the two panels (f32x4.mul + f32x4.add: relaxed-SIMD FMA is not portable).
 *   Edge tiles run the same kernel on a zero-padded 4×8 scratch tile.
 */
import { imin } from './math';

const MR = 4;
const NR = 8;
const MC = 64;
const NC = 128;
const KC = 256;

export const MM_TRANS_A = 1;
export const MM_TRANS_B = 2;
export const MM_ACCUMULATE = 4;
export const MM_BIAS = 8;

/** Scratch bytes one thread needs: packed A and B blocks and the edge tile. */
export function matmulScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/** Number of units (output blocks) of an M×N product. */
export function matmulUnits(M: i32, N: i32): i32 {
  return ((M + MC - 1) / MC) * ((N + NC - 1) / NC);
}

// C[4×8] += Ap[kc×4]·Bp[kc×8]; c has a row stride of ldc bytes.
// @ts-ignore: decorator
@inline function kernel4x8(ap: usize, bp: usize, c: usize, ldc: usize, kc: i32): void {
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(r1), c11 = v128.load(r1, 16);
  let c20 = v128.load(r2), c21 = v128.load(r2, 16);
  let c30 = v128.load(r3), c31 = v128.load(r3, 16);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += MR * 4; bp += NR * 4;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** Pack rows [i0, i0+mc) × K slice [k0, k0+kc) of op(A) into MR-row panels [kc][MR], zero-padded. */
function packA(dst: usize, a: usize, i0: i32, mc: i32, k0: i32, kc: i32, M: i32, K: i32, transA: bool): void {
  const full = mc - mc % MR;
  const panelBytes = <usize>(kc * MR) << 2;
  if (transA) {
    // A stored [K, M]: walk each row k once; MR consecutive floats go to one panel.
    for (let k = 0; k < kc; k++) {
      const src = a + (<usize>((k0 + k) * M + i0) << 2);
      let p = dst + (<usize>k << 4);
      for (let ir = 0; ir < full; ir += MR) { v128.store(p, v128.load(src + (<usize>ir << 2))); p += panelBytes; }
      if (full < mc) {
        for (let r = 0; r < MR; r++) store<f32>(p + (<usize>r << 2), full + r < mc ? load<f32>(src + (<usize>(full + r) << 2)) : 0);
      }
    }
  } else {
    // A stored [M, K]: row r of a panel is contiguous in k.
    for (let ir = 0; ir < mc; ir += MR) {
      const panel = dst + <usize>(ir / MR) * panelBytes;
      for (let r = 0; r < MR; r++) {
        if (ir + r < mc) {
          let src = a + (<usize>((i0 + ir + r) * K + k0) << 2);
          for (let k = 0; k < kc; k++) { store<f32>(panel + (<usize>(k * MR + r) << 2), load<f32>(src)); src += 4; }
        } else {
          for (let k = 0; k < kc; k++) store<f32>(panel + (<usize>(k * MR + r) << 2), 0);
        }
      }
    }
  }
}

/** Pack K slice [k0, k0+kc) × columns [j0, j0+nc) of op(B) into NR-column panels [kc][NR], zero-padded. */
function packB(dst: usize, b: usize, k0: i32, kc: i32, j0: i32, nc: i32, N: i32, K: i32, transB: bool): void {
  const full = nc - nc % NR;
  const panelBytes = <usize>(kc * NR) << 2;
  if (!transB) {
    // B stored [K, N]: walk each row k once; NR consecutive floats go to one panel.
    for (let k = 0; k < kc; k++) {
      const src = b + (<usize>((k0 + k) * N + j0) << 2);
      let p = dst + (<usize>k << 5);
      for (let jr = 0; jr < full; jr += NR) {
        const s = src + (<usize>jr << 2);
        v128.store(p, v128.load(s));
        v128.store(p, v128.load(s, 16), 16);
        p += panelBytes;
      }
      if (full < nc) {
        for (let c = 0; c < NR; c++) store<f32>(p + (<usize>c << 2), full + c < nc ? load<f32>(src + (<usize>(full + c) << 2)) : 0);
      }
    }
  } else {
    // B stored [N, K]: column c of a panel is contiguous in k.
    for (let jr = 0; jr < nc; jr += NR) {
      const panel = dst + <usize>(jr / NR) * panelBytes;
      for (let c = 0; c < NR; c++) {
        if (jr + c < nc) {
          let src = b + (<usize>((j0 + jr + c) * K + k0) << 2);
          for (let k = 0; k < kc; k++) { store<f32>(panel + (<usize>(k * NR + c) << 2), load<f32>(src)); src += 4; }
        } else {
          for (let k = 0; k < kc; k++) store<f32>(panel + (<usize>(k * NR + c) << 2), 0);
        }
      }
    }
  }
}

/** Units [lo, hi) of out (+)= op(A)·op(B) (+ bias); flags: MM_*. scratch: matmulScratchBytes() bytes. */
export function matmul(out: usize, a: usize, b: usize, bias: usize, M: i32, N: i32, K: i32, flags: i32,
  scratch: usize, lo: i32, hi: i32): void {
  const transA = (flags & MM_TRANS_A) != 0, transB = (flags & MM_TRANS_B) != 0;
  const accumulate = (flags & MM_ACCUMULATE) != 0, hasBias = (flags & MM_BIAS) != 0;
  const apack = scratch, bpack = scratch + (<usize>(MC * KC) << 2), tile = bpack + (<usize>(KC * NC) << 2);
  const nBlocks = (N + NC - 1) / NC;
  const ldc = <usize>N << 2;
  for (let u = lo; u < hi; u++) {
    const i0 = (u / nBlocks) * MC, j0 = (u % nBlocks) * NC;
    const mc = imin(MC, M - i0), nc = imin(NC, N - j0);
    // out = (accumulate ? out : 0) + bias, then the K slices in order.
    for (let i = 0; i < mc; i++) {
      const row = out + (<usize>((i0 + i) * N + j0) << 2);
      for (let j = 0; j < nc; j++) {
        const p = row + (<usize>j << 2);
        let v: f32 = accumulate ? load<f32>(p) : 0;
        if (hasBias) v += load<f32>(bias + (<usize>(j0 + j) << 2));
        store<f32>(p, v);
      }
    }
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = imin(KC, K - k0);
      packA(apack, a, i0, mc, k0, kc, M, K, transA);
      packB(bpack, b, k0, kc, j0, nc, N, K, transB);
      for (let jr = 0; jr < nc; jr += NR) {
        const nr = imin(NR, nc - jr);
        const bp = bpack + (<usize>(jr * kc) << 2);
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = imin(MR, mc - ir);
          const ap = apack + (<usize>(ir * kc) << 2);
          const c = out + (<usize>((i0 + ir) * N + j0 + jr) << 2);
          if (mr == MR && nr == NR) {
            kernel4x8(ap, bp, c, ldc, kc);
          } else {
            for (let r = 0; r < MR; r++) for (let q = 0; q < NR; q++) {
              store<f32>(tile + (<usize>(r * NR + q) << 2), r < mr && q < nr ? load<f32>(c + <usize>r * ldc + (<usize>q << 2)) : 0);
            }
            kernel4x8(ap, bp, tile, NR * 4, kc);
            for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) {
              store<f32>(c + <usize>r * ldc + (<usize>q << 2), load<f32>(tile + (<usize>(r * NR + q) << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * out[cols] (+)= Σ_rows x[rows, cols], f64 accumulation, rows in order. Units
 * are blocks of 4 columns: [lo, hi) of ceil(cols/4).
 */
export function sumRows(out: usize, x: usize, rows: i32, cols: i32, accumulate: bool, lo: i32, hi: i32): void {
  const stride = <usize>cols << 2;
  for (let u = lo; u < hi; u++) {
    const j0 = u * 4;
    if (j0 + 4 <= cols) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let p = x + (<usize>j0 << 2);
      for (let r = 0; r < rows; r++) {
        const v = v128.load(p);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
        p += stride;
      }
      const o = out + (<usize>j0 << 2);
      if (accumulate) {
        const ov = v128.load(o);
        s0 = f64x2.add(f64x2.promote_low_f32x4(ov), s0);
        s1 = f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(ov, ov, 2, 3, 0, 1)), s1);
      }
      v128.store(o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
    } else {
      for (let j = j0; j < cols; j++) {
        let s: f64 = 0;
        let p = x + (<usize>j << 2);
        for (let r = 0; r < rows; r++) { s += <f64>load<f32>(p); p += stride; }
        const o = out + (<usize>j << 2);
        store<f32>(o, <f32>(accumulate ? <f64>load<f32>(o) + s : s));
      }
    }
  }
}
