import body from '../../../shaders/weighted_loss.wgsl?raw';
import type { Tensor, WeightedLossTensors } from '../backend.ts';
import { packUniforms, type GpuContext, type GpuTensor } from '../webgpu/context.ts';
import { Shader, workgroupGrid } from './kernel.ts';

const SHADER = new Shader('weighted_loss', body, ['grid', 'reduce']);
const WEIGHTED_LOSS_FORWARD = SHADER.entry('weighted_loss_forward', ['ce', 'w', 'perToken', 'loss', 'dce', 'dw']);

// A writable binding may not alias another one in the same dispatch, so a
// missing dw binds a one-element scratch tensor of the context (never written).
const scratch = new WeakMap<GpuContext, GpuTensor>();
function dummy(ctx: GpuContext): GpuTensor {
  let t = scratch.get(ctx);
  if (!t) {
    t = ctx.tensor(1, 'weightedLoss dummy dw', 'f32');
    scratch.set(ctx, t);
  }
  return t;
}

/**
 * perToken = exp(−w)·ce + w (or ce when w is null), loss[0] = mean over
 * batch·length; dce = d loss/d ce and, with w and dw, dw = d loss/d w. One
 * dispatch; the mean is summed in a fixed order (deterministic).
 */
export function weightedLoss(
  ctx: GpuContext, { perToken, loss, dce, dw, ce, w }: WeightedLossTensors, batch: number, length: number,
): void {
  const hasW = w !== null, hasDw = hasW && dw !== null;
  // Unused bindings get dummies: w → ce (read-only), dw → a scratch tensor.
  ctx.dispatch(WEIGHTED_LOSS_FORWARD, { HAS_W: hasW ? 1 : 0, HAS_DW: hasDw ? 1 : 0 },
    { ce, w: w ?? ce, perToken, loss, dce, dw: hasDw ? dw! : dummy(ctx) },
    packUniforms([batch, length]), workgroupGrid(ctx, batch + 1));
}
