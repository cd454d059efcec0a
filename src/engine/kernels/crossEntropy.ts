import body from '../../../shaders/cross_entropy.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, rowChunks, rowGrid, rowLanes, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('cross_entropy', body, ['grid', 'reduce']);
const CROSS_ENTROPY_FORWARD = SHADER.entry('cross_entropy_forward', ['logits', 'targets', 'out']);
const CROSS_ENTROPY_BACKWARD = SHADER.entry('cross_entropy_backward', ['logits', 'targets', 'out', 'dce']);

/** ce[r] = logsumexp(logits[r]) − logits[r, target[r]] (targets: a u32 tensor). */
export function crossEntropy(ctx: GpuContext, ce: Tensor, logits: Tensor, targets: Tensor, rows: number, cols: number): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  if (bindable(ctx, logits, targets, ce)) {
    ctx.dispatch(CROSS_ENTROPY_FORWARD, { T }, { logits, targets, out: ce }, packUniforms([rows, cols]), rowGrid(ctx, rows, T));
    return;
  }
  for (const [r0, r1] of rowChunks(ctx, rows, cols, 'crossEntropy')) {
    const n = r1 - r0;
    ctx.dispatch(CROSS_ENTROPY_FORWARD, { T },
      { logits: rowsView(ctx, logits, r0, r1, cols), targets: rowsView(ctx, targets, r0, r1, 1), out: rowsView(ctx, ce, r0, r1, 1) },
      packUniforms([n, cols]), rowGrid(ctx, n, T));
  }
}

/** dlogits[r] = (softmax(logits[r]) − onehot(target[r]))·dce[r]. */
export function crossEntropyBackward(
  ctx: GpuContext, dlogits: Tensor, logits: Tensor, targets: Tensor, dce: Tensor, rows: number, cols: number,
): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  if (bindable(ctx, logits, targets, dlogits, dce)) {
    ctx.dispatch(CROSS_ENTROPY_BACKWARD, { T }, { logits, targets, out: dlogits, dce }, packUniforms([rows, cols]), rowGrid(ctx, rows, T));
    return;
  }
  for (const [r0, r1] of rowChunks(ctx, rows, cols, 'crossEntropyBackward')) {
    const n = r1 - r0;
    ctx.dispatch(CROSS_ENTROPY_BACKWARD, { T },
      {
        logits: rowsView(ctx, logits, r0, r1, cols), targets: rowsView(ctx, targets, r0, r1, 1),
        out: rowsView(ctx, dlogits, r0, r1, cols), dce: rowsView(ctx, dce, r0, r1, 1),
      },
      packUniforms([n, cols]), rowGrid(ctx, n, T));
  }
}
