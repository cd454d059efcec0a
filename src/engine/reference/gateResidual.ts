import type { GateParams, GateResidualBackwardTensors } from '../backend.ts';

/** h += gate_item·y. */
export function gateResidual(h: Float32Array, y: Float32Array, mod: Float32Array, p: GateParams): void {
  const D = p.dim;
  for (let r = 0; r < p.rows; r++) {
    const mrow = Math.floor(r / p.rowsPerItem) * p.modStride + p.gateOffset;
    for (let j = 0; j < D; j++) h[r * D + j] += mod[mrow + j] * y[r * D + j];
  }
}

/** dy = dh·gate; dgate_item = Σ_item-rows dh·y (written into dmod's gate columns). */
export function gateResidualBackward({ dy, dmod, dh, y, mod }: GateResidualBackwardTensors<Float32Array>, p: GateParams): void {
  const D = p.dim;
  const items = Math.ceil(p.rows / p.rowsPerItem);
  for (let b = 0; b < items; b++) {
    for (let j = 0; j < D; j++) {
      let acc = 0;
      for (let l = 0; l < p.rowsPerItem; l++) {
        const r = b * p.rowsPerItem + l;
        if (r >= p.rows) break;
        acc += dh[r * D + j] * y[r * D + j];
      }
      dmod[b * p.modStride + p.gateOffset + j] = acc;
    }
  }
  for (let r = 0; r < p.rows; r++) {
    const mrow = Math.floor(r / p.rowsPerItem) * p.modStride + p.gateOffset;
    for (let j = 0; j < D; j++) dy[r * D + j] = dh[r * D + j] * mod[mrow + j];
  }
}
