/**
 * Plain references of the flow-map distillation kernels (lincomb.wgsl,
 * distill_stage1_loss.wgsl, distill_stage2_loss.wgsl); see those files for
 * the formulas.
 */
import type {
  DistillStage1BackwardTensors, DistillStage2BackwardTensors, DistillStage2LossTensors, Lincomb3Tensors,
} from '../backend.ts';

/** out[i] = c[b,0]·x[i] + c[b,1]·y[i] + c[b,2]·z[i], b = ⌊i / perBatch⌋; zero coefficients skip their input. */
export function lincomb3({ out, x, y, z, c }: Lincomb3Tensors<Float32Array>, n: number, perBatch: number): void {
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / perBatch), cx = c[3 * b], cy = c[3 * b + 1], cz = c[3 * b + 2];
    let v = 0;
    if (cx !== 0) v += cx * x[i];
    if (cy !== 0) v += cy * y[i];
    if (cz !== 0) v += cz * z[i];
    out[i] = v;
  }
}

/** raw[r] = Σ_j (tgt − c_b·g)². */
export function distillStage1Loss(
  raw: Float32Array, g: Float32Array, tgt: Float32Array, c: Float32Array, rows: number, cols: number, length: number,
): void {
  for (let r = 0; r < rows; r++) {
    const cb = c[Math.floor(r / length)];
    let s = 0;
    for (let j = r * cols, e = j + cols; j < e; j++) { const d = tgt[j] - cb * g[j]; s += d * d; }
    raw[r] = s;
  }
}

/** dg = −2·c_b·dce[r]·(tgt − c_b·g). */
export function distillStage1Backward(
  { dg, g, tgt, c, dce }: DistillStage1BackwardTensors<Float32Array>, rows: number, cols: number, length: number,
): void {
  for (let r = 0; r < rows; r++) {
    const cb = c[Math.floor(r / length)], k = -2 * cb * dce[r];
    for (let j = r * cols, e = j + cols; j < e; j++) dg[j] = k * (tgt[j] - cb * g[j]);
  }
}

/** q = softmax(logits); raw[r] = Σ_j (F − (x_s + a_b·(q − x_s)))². */
export function distillStage2Loss(
  { raw, q, logits, F, xs, a }: DistillStage2LossTensors<Float32Array>, rows: number, cols: number, length: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols, ab = a[Math.floor(r / length)];
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, logits[o + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(logits[o + j] - m);
    let e2 = 0;
    for (let j = 0; j < cols; j++) {
      const qj = Math.exp(logits[o + j] - m) / s;
      q[o + j] = qj;
      const e = F[o + j] - (xs[o + j] + ab * (qj - xs[o + j]));
      e2 += e * e;
    }
    raw[r] = e2;
  }
}

/** dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce[r]·(F − F̂). */
export function distillStage2Backward(
  { dlogits, q, F, xs, a, dce }: DistillStage2BackwardTensors<Float32Array>, rows: number, cols: number, length: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols, ab = a[Math.floor(r / length)], k = -2 * ab * dce[r];
    const dq = (j: number) => k * (F[o + j] - (xs[o + j] + ab * (q[o + j] - xs[o + j])));
    let s = 0;
    for (let j = 0; j < cols; j++) s += q[o + j] * dq(j);
    for (let j = 0; j < cols; j++) dlogits[o + j] = q[o + j] * (dq(j) - s);
  }
}
