import lincombSource from '../../../shaders/lincomb.wgsl?raw';
import stage1Source from '../../../shaders/distill_stage1_loss.wgsl?raw';
import stage2Source from '../../../shaders/distill_stage2_loss.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';
import { rowLanes } from './lnModulate.ts';

const LINCOMB: KernelDef = { name: 'lincomb', source: lincombSource, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'read', 'rw'] };
const S1_FWD: KernelDef = { name: 'distill_stage1_loss', source: stage1Source, entry: 'forward', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
const S1_BWD: KernelDef = { name: 'distill_stage1_loss', source: stage1Source, entry: 'backward', bindings: ['uniform', 'read', 'read', 'read', 'rw', 'read'] };
const S2_FWD: KernelDef = { name: 'distill_stage2_loss', source: stage2Source, entry: 'forward', bindings: ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw'] };
const S2_BWD: KernelDef = { name: 'distill_stage2_loss', source: stage2Source, entry: 'backward', bindings: ['uniform', 'read', 'read', 'read', 'read', 'rw', 'read'] };

/** out = c[b,0]·x + c[b,1]·y + c[b,2]·z over [B, perBatch] (c: [B·3]); out must not alias an input. */
export function lincomb3(ctx: GpuContext, out: Tensor, x: Tensor, y: Tensor, z: Tensor, c: Tensor, n: number, perBatch: number): void {
  if (n === 0) return;
  ctx.dispatch(LINCOMB, {}, [x, y, z, c, out], packUniforms([n, perBatch]), grid(Math.ceil(n / 256)));
}

const rowGrid = (ctx: GpuContext, rows: number, cols: number) => {
  const T = rowLanes(ctx, cols);
  return { T, groups: grid(Math.ceil(rows / (256 / T))) };
};

/** raw[r] = Σ_j (tgt − c_b·g)² (stage 1). */
export function distillStage1Loss(ctx: GpuContext, raw: Tensor, g: Tensor, tgt: Tensor, c: Tensor, rows: number, cols: number, length: number): void {
  const { T, groups } = rowGrid(ctx, rows, cols);
  ctx.dispatch(S1_FWD, { T }, [g, tgt, c, raw], packUniforms([rows, cols, length]), groups);
}

/** dg = −2·c_b·dce·(tgt − c_b·g) (stage 1). */
export function distillStage1Backward(
  ctx: GpuContext, dg: Tensor, g: Tensor, tgt: Tensor, c: Tensor, dce: Tensor, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowGrid(ctx, rows, cols);
  ctx.dispatch(S1_BWD, { T }, [g, tgt, c, dg, dce], packUniforms([rows, cols, length]), groups);
}

/** q = softmax(logits), raw[r] = Σ_j (F − x_s − a_b·(q − x_s))² (stage 2). */
export function distillStage2Loss(
  ctx: GpuContext, raw: Tensor, q: Tensor, logits: Tensor, F: Tensor, xs: Tensor, a: Tensor, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowGrid(ctx, rows, cols);
  ctx.dispatch(S2_FWD, { T }, [logits, F, xs, a, raw, q], packUniforms([rows, cols, length]), groups);
}

/** dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce·(F − F̂) (stage 2). */
export function distillStage2Backward(
  ctx: GpuContext, dlogits: Tensor, q: Tensor, F: Tensor, xs: Tensor, a: Tensor, dce: Tensor, rows: number, cols: number, length: number,
): void {
  const { T, groups } = rowGrid(ctx, rows, cols);
  ctx.dispatch(S2_BWD, { T }, [q, F, xs, a, dlogits, dce], packUniforms([rows, cols, length]), groups);
}
