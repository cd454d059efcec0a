import source from '../../../shaders/matmul.wgsl?raw';
import registerSource from '../../../shaders/matmul_register.wgsl?raw';
import sumRowsSource from '../../../shaders/sum_rows.wgsl?raw';
import type { MatmulParams, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const MATMUL: KernelDef = { name: 'matmul', source, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
const MATMUL_REGISTER: KernelDef = { name: 'matmul_register', source: registerSource, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
const SUM_ROWS: KernelDef = { name: 'sum_rows', source: sumRowsSource, entry: 'main', bindings: ['uniform', 'read', 'rw'] };

export function matmul(ctx: GpuContext, out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void {
  const constants = {
    TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0, ACCUMULATE: p.accumulate ? 1 : 0,
  };
  const tiled = ctx.tuning.matmul === 'tiled';
  ctx.dispatch(tiled ? MATMUL : MATMUL_REGISTER, constants, [a, b, bias ?? a, out], packUniforms([p.M, p.N, p.K]),
    tiled ? [Math.ceil(p.N / 64), Math.ceil(p.M / 64), 1] : [Math.ceil(p.N / 32), Math.ceil(p.M / 32), 1]);
}

export function sumRows(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, accumulate = false): void {
  ctx.dispatch(SUM_ROWS, { ACCUMULATE: accumulate ? 1 : 0 }, [x, out], packUniforms([rows, cols]), [Math.ceil(cols / 64), 1, 1]);
}
