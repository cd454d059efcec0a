/**
 * Softcapped attention per (batch, head) — the unit of work — with
 * q, k, v [B, H, L, d], o [B, L, D] and the probabilities att [B, H, L, L].
 *
 * Forward: per query row, key tiles of KT with an online softmax (running
 * max m and sum l; the output accumulator and l are rescaled when m grows),
 * so K and V are read once per row. The tile's unnormalised probabilities go
 * to a row buffer; at the end each tile is rescaled by exp(m_tile − m)/l into
 * att. Scores are vectorised over 4 keys at a time from a transposed copy of
 * K (kT [d][Lp], Lp = L rounded up to 4, zero-padded).
 *
 * Backward (dS = P∘(dP − rowsum(P∘dP)), dR = dS·sech²·scale, sech² = 1 − tanh²
 * computed from e^{−2|x|} so it stays accurate where tanh saturates): per row,
 * dP and the raw scores over 4 keys at a time from vT and kT; dq is a dot
 * product with kT; dk and dv accumulate transposed (dkT, dvT [d][Lp]) in
 * query order and are transposed back at the end. Causal rows stop at the
 * row's own key; masked probabilities and gradients are exactly 0.
 */
import { expv, hmax, hsum, imin, ld, sech2v, st, tanhv } from './math';

const KT = 64;

// @ts-ignore: decorator
@inline function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Scratch bytes one thread needs for attention or its backward at (L, d). */
export function attentionScratchBytes(L: i32, d: i32): i32 {
  const Lp = roundUp4(L);
  return (4 * d * Lp + 10 * Lp + roundUp4(d) + (Lp / KT + 1) + 16) * 4;
}

/** dst[c·Lp + j] = src[j·d + c] for j < L; zero for L ≤ j < Lp. */
function transpose(dst: usize, src: usize, L: i32, d: i32, Lp: i32): void {
  for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) st(dst, c * Lp + j, ld(src, j * d + c));
  for (let c = 0; c < d; c++) for (let j = L; j < Lp; j++) st(dst, c * Lp + j, 0);
}

/** Lanes j..j+3 of the keys before `end` (all ones) or after (zero). */
// @ts-ignore: decorator
@inline function laneMask(j: i32, end: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), i32x4.splat(end));
}

/** acc[0..d) = acc·f (SIMD with a scalar tail). */
function scaleRow(acc: usize, f: f32, d: i32): void {
  let c = 0;
  const fv = f32x4.splat(f);
  for (; c + 4 <= d; c += 4) { const p = acc + (<usize>c << 2); v128.store(p, f32x4.mul(v128.load(p), fv)); }
  for (; c < d; c++) st(acc, c, ld(acc, c) * f);
}

/**
 * acc[0..d) += Σ_{j∈[j0,j1)} w[j]·x[j·d .. j·d + d): 16 columns at a time in
 * four f32x4 registers, then 4, then a scalar tail (the same lanes for a
 * given d, whatever the caller's unit range).
 */
function accumulateRows(acc: usize, w: usize, x: usize, j0: i32, j1: i32, d: i32): void {
  const rowBytes = <usize>d << 2;
  let c = 0;
  for (; c + 16 <= d; c += 16) {
    const ap = acc + (<usize>c << 2);
    let a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
    let xp = x + <usize>j0 * rowBytes + (<usize>c << 2);
    for (let j = j0; j < j1; j++) {
      const p = v128.load32_splat(w + (<usize>j << 2));
      a0 = f32x4.add(a0, f32x4.mul(p, v128.load(xp)));
      a1 = f32x4.add(a1, f32x4.mul(p, v128.load(xp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(p, v128.load(xp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(p, v128.load(xp, 48)));
      xp += rowBytes;
    }
    v128.store(ap, a0); v128.store(ap, a1, 16); v128.store(ap, a2, 32); v128.store(ap, a3, 48);
  }
  for (; c + 4 <= d; c += 4) {
    const ap = acc + (<usize>c << 2);
    let a0 = v128.load(ap);
    let xp = x + <usize>j0 * rowBytes + (<usize>c << 2);
    for (let j = j0; j < j1; j++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(w + (<usize>j << 2)), v128.load(xp)));
      xp += rowBytes;
    }
    v128.store(ap, a0);
  }
  for (; c < d; c++) {
    let a = ld(acc, c);
    for (let j = j0; j < j1; j++) a += ld(w, j) * ld(x, j * d + c);
    st(acc, c, a);
  }
}

/**
 * Raw scores (q·k, unscaled) of query row qrow for keys j..j+15 into out[j..j+15]
 * (4 f32x4 accumulators sharing each splat of q[c]).
 */
// @ts-ignore: decorator
@inline function dots16(out: usize, qrow: usize, kT: usize, j: i32, d: i32, Lp: i32): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let kp = kT + (<usize>j << 2);
  const step = <usize>Lp << 2;
  for (let c = 0; c < d; c++) {
    const qc = v128.load32_splat(qrow + (<usize>c << 2));
    a0 = f32x4.add(a0, f32x4.mul(qc, v128.load(kp)));
    a1 = f32x4.add(a1, f32x4.mul(qc, v128.load(kp, 16)));
    a2 = f32x4.add(a2, f32x4.mul(qc, v128.load(kp, 32)));
    a3 = f32x4.add(a3, f32x4.mul(qc, v128.load(kp, 48)));
    kp += step;
  }
  const o = out + (<usize>j << 2);
  v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48);
}

/** Raw scores of query row qrow for keys [j0, j1) (j0, j1 multiples of 4) into out[j0..j1). */
function dotsRow(out: usize, qrow: usize, kT: usize, j0: i32, j1: i32, d: i32, Lp: i32): void {
  let j = j0;
  for (; j + 16 <= j1; j += 16) dots16(out, qrow, kT, j, d, Lp);
  for (; j < j1; j += 4) {
    let acc = f32x4.splat(0);
    let kp = kT + (<usize>j << 2);
    for (let c = 0; c < d; c++) {
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(qrow + (<usize>c << 2)), v128.load(kp)));
      kp += <usize>Lp << 2;
    }
    v128.store(out + (<usize>j << 2), acc);
  }
}

export function attention(o: usize, att: usize, q: usize, k: usize, v: usize,
  B: i32, L: i32, H: i32, d: i32, softcap: f32, causal: bool, scratch: usize, lo: i32, hi: i32): void {
  const Lp = roundUp4(L), D = H * d;
  const kT = scratch, srow = kT + (<usize>(d * Lp) << 2), oacc = srow + (<usize>Lp << 2);
  const tileM = oacc + (<usize>roundUp4(d) << 2);
  const scale = <f32>(1 / Math.sqrt(<f64>d));
  for (let u = lo; u < hi; u++) {
    const b = u / H, h = u % H, base = u * L;
    transpose(kT, k + (<usize>(base * d) << 2), L, d, Lp);
    for (let i = 0; i < L; i++) {
      const qrow = q + (<usize>((base + i) * d) << 2);
      const jEnd = causal ? i + 1 : L;
      let m: f32 = -Infinity, l: f32 = 0;
      for (let c = 0; c < d; c++) st(oacc, c, 0);
      let nt = 0;
      for (let t0 = 0; t0 < jEnd; t0 += KT) {
        const t1 = imin(t0 + KT, jEnd);
        let tmax = f32x4.splat(-Infinity);
        dotsRow(srow, qrow, kT, t0, roundUp4(t1), d, Lp);
        for (let j = t0; j < t1; j += 4) {
          const sp = srow + (<usize>j << 2);
          let s = f32x4.mul(v128.load(sp), f32x4.splat(scale));
          if (softcap > 0) s = f32x4.mul(f32x4.splat(softcap), tanhv(f32x4.mul(s, f32x4.splat(1 / softcap))));
          if (j + 4 > t1) s = v128.bitselect(s, f32x4.splat(-Infinity), laneMask(j, t1));
          v128.store(sp, s);
          tmax = f32x4.pmax(tmax, s);
        }
        const mNew = max(m, hmax(tmax));
        if (m > -Infinity) {
          const alpha = Mathf.exp(m - mNew);
          if (alpha != 1) { l *= alpha; scaleRow(oacc, alpha, d); }
        }
        let lsum = f32x4.splat(0);
        for (let j = t0; j < t1; j += 4) {
          const sp = srow + (<usize>j << 2);
          let p = expv(f32x4.sub(v128.load(sp), f32x4.splat(mNew)));
          if (j + 4 > t1) p = v128.and(p, laneMask(j, t1));
          v128.store(sp, p);
          lsum = f32x4.add(lsum, p);
        }
        accumulateRows(oacc, srow, v + (<usize>(base * d) << 2), t0, t1, d);
        l += hsum(lsum);
        st(tileM, nt++, mNew);
        m = mNew;
      }
      const inv: f32 = 1 / l;
      const arow = att + (<usize>((base + i) * L) << 2);
      for (let t = 0; t < nt; t++) {
        const f = Mathf.exp(ld(tileM, t) - m) * inv;
        const t0 = t * KT, t1 = imin(t0 + KT, jEnd);
        for (let j = t0; j < t1; j++) st(arow, j, ld(srow, j) * f);
      }
      for (let j = jEnd; j < L; j++) st(arow, j, 0);
      const orow = o + (<usize>((b * L + i) * D + h * d) << 2);
      for (let c = 0; c < d; c++) st(orow, c, ld(oacc, c) * inv);
    }
  }
}

export function attentionBackward(dq: usize, dk: usize, dv: usize, dR: usize,
  dout: usize, att: usize, q: usize, k: usize, v: usize, o: usize,
  B: i32, L: i32, H: i32, d: i32, softcap: f32, causal: bool, scratch: usize, lo: i32, hi: i32): void {
  const Lp = roundUp4(L), D = H * d, dLp = <usize>(d * Lp) << 2;
  const kT = scratch, vT = kT + dLp, dkT = vT + dLp, dvT = dkT + dLp;
  const step = <usize>Lp << 2;
  // Rows are handled in blocks of 4 so that dkT and dvT are read and written once per block.
  const prow4 = dvT + dLp, drow4 = prow4 + 4 * step, dprow = drow4 + 4 * step, rrow = dprow + step;
  const scale = <f32>(1 / Math.sqrt(<f64>d));
  for (let u = lo; u < hi; u++) {
    const b = u / H, h = u % H, base = u * L;
    const kb = k + (<usize>(base * d) << 2);
    transpose(kT, kb, L, d, Lp);
    transpose(vT, v + (<usize>(base * d) << 2), L, d, Lp);
    for (let c = 0; c < d * Lp; c++) { st(dkT, c, 0); st(dvT, c, 0); }
    for (let i0 = 0; i0 < L; i0 += 4) {
      const nr = imin(4, L - i0);
      const blockEndP = causal ? roundUp4(i0 + nr) : Lp;
      for (let r = 0; r < nr; r++) {
        const i = i0 + r;
        const jEnd = causal ? i + 1 : L, jEndP = roundUp4(jEnd);
        const prow = prow4 + <usize>r * step, drow = drow4 + <usize>r * step;
        const qrow = q + (<usize>((base + i) * d) << 2);
        const gorow = dout + (<usize>((b * L + i) * D + h * d) << 2);
        const orow = o + (<usize>((b * L + i) * D + h * d) << 2);
        const arow = att + (<usize>((base + i) * L) << 2);
        let delta: f64 = 0;
        for (let c = 0; c < d; c++) delta += <f64>ld(gorow, c) * <f64>ld(orow, c);
        const deltaV = f32x4.splat(<f32>delta);
        for (let j = 0; j < jEnd; j++) st(prow, j, ld(arow, j));
        for (let j = jEnd; j < blockEndP; j++) st(prow, j, 0);
        // dP = dO·vᵀ and, with a softcap, the raw scores q·kᵀ again (for sech² of the capped argument).
        dotsRow(dprow, gorow, vT, 0, jEndP, d, Lp);
        if (softcap > 0) dotsRow(rrow, qrow, kT, 0, jEndP, d, Lp);
        for (let j = 0; j < jEndP; j += 4) {
          const off = <usize>j << 2;
          let ds = f32x4.mul(v128.load(prow + off), f32x4.sub(v128.load(dprow + off), deltaV));
          if (softcap > 0) ds = f32x4.mul(ds, sech2v(f32x4.mul(v128.load(rrow + off), f32x4.splat(scale / softcap))));
          ds = f32x4.mul(ds, f32x4.splat(scale));
          if (j + 4 > jEnd) ds = v128.and(ds, laneMask(j, jEnd));
          v128.store(drow + off, ds);
        }
        for (let j = jEndP; j < blockEndP; j++) st(drow, j, 0);
        const rowOut = dR + (<usize>((base + i) * L) << 2);
        for (let j = 0; j < jEnd; j++) st(rowOut, j, ld(drow, j));
        for (let j = jEnd; j < L; j++) st(rowOut, j, 0);
        // dq_i = Σ_j dR_ij k_j, in key order.
        const dqrow = dq + (<usize>((base + i) * d) << 2);
        for (let c = 0; c < d; c++) st(dqrow, c, 0);
        accumulateRows(dqrow, drow, kb, 0, jEnd, d);
      }
      // dkT[c] += q_ic·dR_i and dvT[c] += dout_ic·P_i for the block's rows, in row order
      // (the same additions, in the same order, as one row at a time).
      const q0 = q + (<usize>((base + i0) * d) << 2), g0 = dout + (<usize>((b * L + i0) * D + h * d) << 2);
      const qs = <usize>d << 2, gs = <usize>D << 2;
      for (let c = 0; c < d; c++) {
        const dkc = dkT + <usize>c * step, dvc = dvT + <usize>c * step, cb = <usize>c << 2;
        if (nr == 4) {
          const qa = v128.load32_splat(q0 + cb), qb = v128.load32_splat(q0 + qs + cb);
          const qc = v128.load32_splat(q0 + 2 * qs + cb), qd = v128.load32_splat(q0 + 3 * qs + cb);
          const ga = v128.load32_splat(g0 + cb), gb = v128.load32_splat(g0 + gs + cb);
          const gc = v128.load32_splat(g0 + 2 * gs + cb), gd = v128.load32_splat(g0 + 3 * gs + cb);
          for (let j = 0; j < blockEndP; j += 4) {
            const off = <usize>j << 2;
            let ak = v128.load(dkc + off), av = v128.load(dvc + off);
            ak = f32x4.add(ak, f32x4.mul(qa, v128.load(drow4 + off)));
            av = f32x4.add(av, f32x4.mul(ga, v128.load(prow4 + off)));
            ak = f32x4.add(ak, f32x4.mul(qb, v128.load(drow4 + step + off)));
            av = f32x4.add(av, f32x4.mul(gb, v128.load(prow4 + step + off)));
            ak = f32x4.add(ak, f32x4.mul(qc, v128.load(drow4 + 2 * step + off)));
            av = f32x4.add(av, f32x4.mul(gc, v128.load(prow4 + 2 * step + off)));
            ak = f32x4.add(ak, f32x4.mul(qd, v128.load(drow4 + 3 * step + off)));
            av = f32x4.add(av, f32x4.mul(gd, v128.load(prow4 + 3 * step + off)));
            v128.store(dkc + off, ak);
            v128.store(dvc + off, av);
          }
        } else {
          for (let r = 0; r < nr; r++) {
            const qr = v128.load32_splat(q0 + <usize>r * qs + cb), gr = v128.load32_splat(g0 + <usize>r * gs + cb);
            const dr = drow4 + <usize>r * step, pr = prow4 + <usize>r * step;
            for (let j = 0; j < blockEndP; j += 4) {
              const off = <usize>j << 2;
              v128.store(dkc + off, f32x4.add(v128.load(dkc + off), f32x4.mul(qr, v128.load(dr + off))));
              v128.store(dvc + off, f32x4.add(v128.load(dvc + off), f32x4.mul(gr, v128.load(pr + off))));
            }
          }
        }
      }
    }
    const dkb = dk + (<usize>(base * d) << 2), dvb = dv + (<usize>(base * d) << 2);
    for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) {
      st(dkb, j * d + c, ld(dkT, c * Lp + j));
      st(dvb, j * d + c, ld(dvT, c * Lp + j));
    }
  }
}

/**
 * qkv [B, L, 3D] → q, k (NeoX rotary) and v in [B, H, L, d]. Units: rows
 * (b, l) [lo, hi) of B·L. cos/sin tables [L][d/2] in f64 come from the host
 * (src/engine/host/rope.ts frequencies, the reference's own cos and sin).
 */
export function rope(q: usize, k: usize, v: usize, qkv: usize, cosT: usize, sinT: usize,
  L: i32, H: i32, d: i32, lo: i32, hi: i32): void {
  const D = H * d, half = d >> 1;
  for (let row = lo; row < hi; row++) {
    const b = row / L, l = row % L;
    const src = row * 3 * D;
    for (let h = 0; h < H; h++) {
      const dst = ((b * H + h) * L + l) * d;
      for (let i = 0; i < half; i++) {
        const c = load<f64>(cosT + (<usize>(l * half + i) << 3)), s = load<f64>(sinT + (<usize>(l * half + i) << 3));
        let x1 = <f64>ld(qkv, src + h * d + i), x2 = <f64>ld(qkv, src + h * d + half + i);
        st(q, dst + i, <f32>(x1 * c - x2 * s));
        st(q, dst + half + i, <f32>(x1 * s + x2 * c));
        x1 = <f64>ld(qkv, src + D + h * d + i); x2 = <f64>ld(qkv, src + D + h * d + half + i);
        st(k, dst + i, <f32>(x1 * c - x2 * s));
        st(k, dst + half + i, <f32>(x1 * s + x2 * c));
      }
      for (let j = 0; j < d; j++) st(v, dst + j, ld(qkv, src + 2 * D + h * d + j));
    }
  }
}

/** dqkv [B, L, 3D] from dq, dk, dv (the transposed rotation). Units: rows (b, l). */
export function ropeBackward(dqkv: usize, dq: usize, dk: usize, dv: usize, cosT: usize, sinT: usize,
  L: i32, H: i32, d: i32, lo: i32, hi: i32): void {
  const D = H * d, half = d >> 1;
  for (let row = lo; row < hi; row++) {
    const b = row / L, l = row % L;
    const dst = row * 3 * D;
    for (let h = 0; h < H; h++) {
      const src = ((b * H + h) * L + l) * d;
      for (let i = 0; i < half; i++) {
        const c = load<f64>(cosT + (<usize>(l * half + i) << 3)), s = load<f64>(sinT + (<usize>(l * half + i) << 3));
        let g1 = <f64>ld(dq, src + i), g2 = <f64>ld(dq, src + half + i);
        st(dqkv, dst + h * d + i, <f32>(g1 * c + g2 * s));
        st(dqkv, dst + h * d + half + i, <f32>(-g1 * s + g2 * c));
        g1 = <f64>ld(dk, src + i); g2 = <f64>ld(dk, src + half + i);
        st(dqkv, dst + D + h * d + i, <f32>(g1 * c + g2 * s));
        st(dqkv, dst + D + h * d + half + i, <f32>(-g1 * s + g2 * c));
      }
      for (let j = 0; j < d; j++) st(dqkv, dst + 2 * D + h * d + j, ld(dv, src + j));
    }
  }
}
