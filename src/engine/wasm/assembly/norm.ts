/**
 * LayerNorm with adaLN modulation and the gated residual, forward and
 * backward. Rows of [rows, D] belong to item ⌊row/rowsPerItem⌋, whose
 * shift/scale/gate are read from mod[item·modStride + offset + j].
 * Statistics and reductions are f64, in row order, like the reference.
 */
import { ld, st, ld64, st64, imin } from './math';

/** Units: rows [lo, hi). out = LN(x)·w·(1 + scale) + shift; mean, rstd saved. */
export function lnModulate(out: usize, mean: usize, rstd: usize, x: usize, w: usize, mod: usize,
  D: i32, rowsPerItem: i32, modStride: i32, shiftOff: i32, scaleOff: i32, eps: f64, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = r * D;
    let m: f64 = 0;
    for (let j = 0; j < D; j++) m += <f64>ld(x, row + j);
    m /= D;
    let v: f64 = 0;
    for (let j = 0; j < D; j++) { const c = <f64>ld(x, row + j) - m; v += c * c; }
    v /= D;
    const rs = 1 / Math.sqrt(v + eps);
    st(mean, r, <f32>m);
    st(rstd, r, <f32>rs);
    const mrow = (r / rowsPerItem) * modStride;
    for (let j = 0; j < D; j++) {
      const y = (<f64>ld(x, row + j) - m) * rs * <f64>ld(w, j);
      st(out, row + j, <f32>(y * (1 + <f64>ld(mod, mrow + scaleOff + j)) + <f64>ld(mod, mrow + shiftOff + j)));
    }
  }
}

/** Backward, part 2 (after part 1, which reads dout: dx may alias it). Units: rows [lo, hi). dx += rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dout·(1 + scale)·w. */
export function lnModulateBackwardRows(dx: usize, dout: usize, x: usize, mean: usize, rstd: usize, w: usize, mod: usize,
  D: i32, rowsPerItem: i32, modStride: i32, scaleOff: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = r * D, mrow = (r / rowsPerItem) * modStride + scaleOff;
    const m = <f64>ld(mean, r), rs = <f64>ld(rstd, r);
    let s1: f64 = 0, s2: f64 = 0;
    for (let j = 0; j < D; j++) {
      const xhat = (<f64>ld(x, row + j) - m) * rs;
      const dxhat = <f64>ld(dout, row + j) * (1 + <f64>ld(mod, mrow + j)) * <f64>ld(w, j);
      s1 += dxhat;
      s2 += dxhat * xhat;
    }
    s1 /= D; s2 /= D;
    for (let j = 0; j < D; j++) {
      const xhat = (<f64>ld(x, row + j) - m) * rs;
      const dxhat = <f64>ld(dout, row + j) * (1 + <f64>ld(mod, mrow + j)) * <f64>ld(w, j);
      st(dx, row + j, <f32>(<f64>ld(dx, row + j) + rs * (dxhat - s1 - xhat * s2)));
    }
  }
}

/** Columns per unit of lnModulateBackwardCols. */
export const LN_COLS = 64;

/**
 * Backward, part 1. Units: column blocks [lo, hi) of LN_COLS columns; each
 * sums over every row in order: dw = Σ dout·(1 + scale)·x̂ (overwrites),
 * dshift_b = Σ_rows-of-b dout, dscale_b = Σ_rows-of-b dout·x̂·w.
 * scratch: 3·LN_COLS f64.
 */
export function lnModulateBackwardCols(dw: usize, dmod: usize, dout: usize, x: usize, mean: usize, rstd: usize, w: usize, mod: usize,
  rows: i32, D: i32, rowsPerItem: i32, modStride: i32, shiftOff: i32, scaleOff: i32, scratch: usize, lo: i32, hi: i32): void {
  const dwAcc = scratch, shAcc = scratch + LN_COLS * 8, scAcc = scratch + 2 * LN_COLS * 8;
  const items = (rows + rowsPerItem - 1) / rowsPerItem;
  for (let u = lo; u < hi; u++) {
    const j0 = u * LN_COLS, nj = imin(LN_COLS, D - j0);
    for (let j = 0; j < nj; j++) st64(dwAcc, j, 0);
    for (let b = 0; b < items; b++) {
      const mrow = b * modStride;
      for (let j = 0; j < nj; j++) { st64(shAcc, j, 0); st64(scAcc, j, 0); }
      const r1 = imin(rows, (b + 1) * rowsPerItem);
      for (let r = b * rowsPerItem; r < r1; r++) {
        const row = r * D + j0, m = <f64>ld(mean, r), rs = <f64>ld(rstd, r);
        for (let j = 0; j < nj; j++) {
          const xhat = (<f64>ld(x, row + j) - m) * rs;
          const g = <f64>ld(dout, row + j);
          st64(shAcc, j, ld64(shAcc, j) + g);
          st64(scAcc, j, ld64(scAcc, j) + g * xhat * <f64>ld(w, j0 + j));
          st64(dwAcc, j, ld64(dwAcc, j) + g * (1 + <f64>ld(mod, mrow + scaleOff + j0 + j)) * xhat);
        }
      }
      for (let j = 0; j < nj; j++) {
        st(dmod, mrow + shiftOff + j0 + j, <f32>ld64(shAcc, j));
        st(dmod, mrow + scaleOff + j0 + j, <f32>ld64(scAcc, j));
      }
    }
    for (let j = 0; j < nj; j++) st(dw, j0 + j, <f32>ld64(dwAcc, j));
  }
}

/** Units: rows [lo, hi). h += gate·y. */
export function gateResidual(h: usize, y: usize, mod: usize, D: i32, rowsPerItem: i32, modStride: i32, gateOff: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = r * D, mrow = (r / rowsPerItem) * modStride + gateOff;
    for (let j = 0; j < D; j++) st(h, row + j, <f32>(<f64>ld(h, row + j) + <f64>ld(mod, mrow + j) * <f64>ld(y, row + j)));
  }
}

/**
 * Units: items [lo, hi). dy = dh·gate for the item's rows; dgate_b = Σ rows
 * dh·y in row order (overwrites dmod's gate columns). scratch: D f64.
 */
export function gateResidualBackward(dy: usize, dmod: usize, dh: usize, y: usize, mod: usize,
  rows: i32, D: i32, rowsPerItem: i32, modStride: i32, gateOff: i32, scratch: usize, lo: i32, hi: i32): void {
  for (let b = lo; b < hi; b++) {
    const mrow = b * modStride + gateOff;
    for (let j = 0; j < D; j++) st64(scratch, j, 0);
    const r1 = imin(rows, (b + 1) * rowsPerItem);
    for (let r = b * rowsPerItem; r < r1; r++) {
      const row = r * D;
      for (let j = 0; j < D; j++) {
        const g = <f64>ld(dh, row + j);
        st64(scratch, j, ld64(scratch, j) + g * <f64>ld(y, row + j));
        st(dy, row + j, <f32>(g * <f64>ld(mod, mrow + j)));
      }
    }
    for (let j = 0; j < D; j++) st(dmod, mrow + j, <f32>ld64(scratch, j));
  }
}
