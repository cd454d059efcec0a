import lincombBody from '../../../shaders/lincomb.wgsl?raw';
import stage1Body from '../../../shaders/distill_stage1_loss.wgsl?raw';
import stage2Body from '../../../shaders/distill_stage2_loss.wgsl?raw';
import type { DistillStage1BackwardTensors, DistillStage2BackwardTensors, DistillStage2LossTensors, Lincomb3Tensors, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, elementGrid, rangeChunks, rowGrid, rowLanes, rowsView, Shader } from './kernel.ts';

const LINCOMB = new Shader('lincomb', lincombBody, ['grid']);
const STAGE1 = new Shader('distill_stage1_loss', stage1Body, ['grid', 'reduce']);
const STAGE2 = new Shader('distill_stage2_loss', stage2Body, ['grid', 'reduce']);
const LINCOMB_FORWARD = LINCOMB.entry('lincomb_forward', ['x', 'y', 'z', 'c', 'out']);
const DISTILL_STAGE1_LOSS_FORWARD = STAGE1.entry('distill_stage1_loss_forward', ['g', 'tgt', 'c', 'out']);
const DISTILL_STAGE1_LOSS_BACKWARD = STAGE1.entry('distill_stage1_loss_backward', ['g', 'tgt', 'c', 'out', 'dce']);
const DISTILL_STAGE2_LOSS_FORWARD = STAGE2.entry('distill_stage2_loss_forward', ['src', 'F', 'xs', 'a', 'out', 'q']);
const DISTILL_STAGE2_LOSS_BACKWARD = STAGE2.entry('distill_stage2_loss_backward', ['src', 'F', 'xs', 'a', 'out', 'dce']);

/** out = c[b,0]·x + c[b,1]·y + c[b,2]·z over [B, perBatch] (c: [B·3]); out must not alias an input. */
export function lincomb3(ctx: GpuContext, { out, x, y, z, c }: Lincomb3Tensors, n: number, perBatch: number): void {
  if (n === 0) return;
  if (bindable(ctx, x, y, z, out)) {
    ctx.dispatch(LINCOMB_FORWARD, {}, { x, y, z, c, out }, packUniforms([n, perBatch, 0]), elementGrid(ctx, n));
    return;
  }
  // Chunks of elements; an input whose coefficient is 0 is not read and may be shorter (it then binds x's view).
  for (const [i0, i1] of rangeChunks(ctx, n)) {
    const xv = rowsView(ctx, x, i0, i1, 1);
    const part = (t: Tensor) => (t === x || t.size < i1 ? xv : rowsView(ctx, t, i0, i1, 1));
    ctx.dispatch(LINCOMB_FORWARD, {}, { x: xv, y: part(y), z: part(z), c, out: rowsView(ctx, out, i0, i1, 1) }, packUniforms([i1 - i0, perBatch, i0]),
      elementGrid(ctx, i1 - i0));
  }
}

/** Lanes per row and the grid of the row kernels. */
function rowLayout(ctx: GpuContext, rows: number, cols: number): { T: number; groups: [number, number, number] } {
  const T = rowLanes(ctx, cols);
  return { T, groups: rowGrid(ctx, rows, T) };
}

/** raw[r] = Σ_j (tgt − c_b·g)² (stage 1). */
export function distillStage1Loss(ctx: GpuContext, raw: Tensor, g: Tensor, tgt: Tensor, c: Tensor, rows: number, cols: number, length: number): void {
  const { T, groups } = rowLayout(ctx, rows, cols);
  ctx.dispatch(DISTILL_STAGE1_LOSS_FORWARD, { T }, { g, tgt, c, out: raw }, packUniforms([rows, cols, length]), groups);
}

/** dg = −2·c_b·dce·(tgt − c_b·g) (stage 1). */
export function distillStage1Backward(
  ctx: GpuContext, { dg, g, tgt, c, dce }: DistillStage1BackwardTensors, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowLayout(ctx, rows, cols);
  ctx.dispatch(DISTILL_STAGE1_LOSS_BACKWARD, { T }, { g, tgt, c, out: dg, dce }, packUniforms([rows, cols, length]), groups);
}

/** q = softmax(logits), raw[r] = Σ_j (F − x_s − a_b·(q − x_s))² (stage 2). */
export function distillStage2Loss(
  ctx: GpuContext, { raw, q, logits, F, xs, a }: DistillStage2LossTensors, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowLayout(ctx, rows, cols);
  ctx.dispatch(DISTILL_STAGE2_LOSS_FORWARD, { T }, { src: logits, F, xs, a, out: raw, q }, packUniforms([rows, cols, length]), groups);
}

/** dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce·(F − F̂) (stage 2). */
export function distillStage2Backward(
  ctx: GpuContext, { dlogits, q, F, xs, a, dce }: DistillStage2BackwardTensors, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowLayout(ctx, rows, cols);
  ctx.dispatch(DISTILL_STAGE2_LOSS_BACKWARD, { T }, { src: q, F, xs, a, out: dlogits, dce }, packUniforms([rows, cols, length]), groups);
}
