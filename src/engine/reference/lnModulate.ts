import type { LnModulateBackwardTensors, LnModulateParams, LnModulateTensors } from '../backend.ts';

/** out = (LN(x)·w)·(1 + scale_item) + shift_item, LayerNorm without bias. */
export function lnModulate({ out, mean, rstd, x, w, mod }: LnModulateTensors<Float32Array>, p: LnModulateParams): void {
  const D = p.dim;
  for (let r = 0; r < p.rows; r++) {
    const row = r * D;
    let m = 0;
    for (let j = 0; j < D; j++) m += x[row + j];
    m /= D;
    let v = 0;
    for (let j = 0; j < D; j++) { const c = x[row + j] - m; v += c * c; }
    v /= D;
    const rs = 1 / Math.sqrt(v + p.eps);
    mean[r] = m;
    rstd[r] = rs;
    const mrow = Math.floor(r / p.rowsPerItem) * p.modStride;
    for (let j = 0; j < D; j++) {
      const y = (x[row + j] - m) * rs * w[j];
      out[row + j] = y * (1 + mod[mrow + p.scaleOffset + j]) + mod[mrow + p.shiftOffset + j];
    }
  }
}

/**
 * dx += d/dx, dw = Σ_rows dy·x̂, dshift = Σ_item-rows dout, dscale = Σ_item-rows dout·(x̂·w),
 * where dy = dout·(1 + scale).
 */
export function lnModulateBackward(
  { dx, dw, dmod, dout, x, mean, rstd, w, mod }: LnModulateBackwardTensors<Float32Array>, p: LnModulateParams,
): void {
  const D = p.dim;
  const items = Math.ceil(p.rows / p.rowsPerItem);
  const dwAcc = new Float64Array(D);
  for (let b = 0; b < items; b++) {
    const mrow = b * p.modStride;
    for (let j = 0; j < D; j++) { dmod[mrow + p.shiftOffset + j] = 0; dmod[mrow + p.scaleOffset + j] = 0; }
  }
  const dxhat = new Float64Array(D);
  for (let r = 0; r < p.rows; r++) {
    const row = r * D;
    const mrow = Math.floor(r / p.rowsPerItem) * p.modStride;
    let s1 = 0, s2 = 0;
    for (let j = 0; j < D; j++) {
      const xhat = (x[row + j] - mean[r]) * rstd[r];
      const g = dout[row + j];
      dmod[mrow + p.shiftOffset + j] += g;
      dmod[mrow + p.scaleOffset + j] += g * xhat * w[j];
      const dy = g * (1 + mod[mrow + p.scaleOffset + j]);
      dwAcc[j] += dy * xhat;
      dxhat[j] = dy * w[j];
      s1 += dxhat[j];
      s2 += dxhat[j] * xhat;
    }
    s1 /= D; s2 /= D;
    for (let j = 0; j < D; j++) {
      const xhat = (x[row + j] - mean[r]) * rstd[r];
      dx[row + j] += rstd[r] * (dxhat[j] - s1 - xhat * s2);
    }
  }
  for (let j = 0; j < D; j++) dw[j] = dwAcc[j];
}
