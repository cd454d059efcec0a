import source from '../../../shaders/matmul.wgsl?raw';
import registerSource from '../../../shaders/matmul_register.wgsl?raw';
import registerVec4Source from '../../../shaders/matmul_register_vec4.wgsl?raw';
import sumRowsSource from '../../../shaders/sum_rows.wgsl?raw';
import type { MatmulParams, Tensor } from '../backend.ts';
import { MAX_WORKGROUPS_PER_DIM, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const MATMUL: KernelDef = { name: 'matmul', source, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
const MATMUL_REGISTER: KernelDef = { name: 'matmul_register', source: registerSource, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
const MATMUL_REGISTER_VEC4: KernelDef = { name: 'matmul_register_vec4', source: registerVec4Source, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };
/** Rows and columns of C per thread in the register variants. */
const REGISTER_BLOCK = 16;
const SUM_ROWS: KernelDef = { name: 'sum_rows', source: sumRowsSource, entry: 'main', bindings: ['uniform', 'read', 'rw'] };

export function matmul(ctx: GpuContext, out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void {
  const constants: Record<string, number> = {
    TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0, ACCUMULATE: p.accumulate ? 1 : 0,
  };
  const uniforms = packUniforms([p.M, p.N, p.K]);
  if (ctx.tuning.matmul === 'tiled') {
    ctx.dispatch(MATMUL, constants, [a, b, bias ?? a, out], uniforms, [Math.ceil(p.N / 64), Math.ceil(p.M / 64), 1]);
    return;
  }
  // Register variant: one thread per 16×16 block of C. Every tensor (views
  // included) starts on a VIEW_ALIGN boundary, so when the contiguous
  // dimension of each operand, K and N are multiples of 4 all of them can be
  // read as vec4.
  const vec4 = p.K > 0 && (p.transA ? p.M : p.K) % 4 === 0 && p.K % 4 === 0 && p.N % 4 === 0;
  // Workgroups of 4 threads (one SwiftShader SIMD group; there is nothing to
  // share between threads) leave many workgroups for the worker threads to
  // divide; the 4 go along N unless C has too few column blocks. Taller
  // workgroups only when the rows would exceed the workgroup-count limit.
  const cols = Math.ceil(p.N / REGISTER_BLOCK), rows = Math.ceil(p.M / REGISTER_BLOCK);
  const wgX = cols >= 4 ? 4 : cols >= 2 ? 2 : 1;
  const wgY = Math.max(4 / wgX, Math.ceil(rows / MAX_WORKGROUPS_PER_DIM));
  ctx.dispatch(vec4 ? MATMUL_REGISTER_VEC4 : MATMUL_REGISTER, { ...constants, WG_X: wgX, WG_Y: wgY }, [a, b, bias ?? a, out], uniforms,
    [Math.ceil(cols / wgX), Math.ceil(rows / wgY), 1]);
}

export function sumRows(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, accumulate = false): void {
  ctx.dispatch(SUM_ROWS, { ACCUMULATE: accumulate ? 1 : 0 }, [x, out], packUniforms([rows, cols]), [Math.ceil(cols / 64), 1, 1]);
}
