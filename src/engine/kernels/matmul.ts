import tiledBody from '../../../shaders/matmul.wgsl?raw';
import registerBody from '../../../shaders/matmul_register.wgsl?raw';
import registerVec4Body from '../../../shaders/matmul_register_vec4.wgsl?raw';
import sumRowsBody from '../../../shaders/sum_rows.wgsl?raw';
import type { MatmulParams, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';
import { maxWorkgroupsPerDim, Shader } from './kernel.ts';

const MATMUL_BINDINGS: KernelDef['bindings'] = ['uniform', 'read', 'read', 'read', 'rw'];
const MATMUL_FORWARD = new Shader('matmul', tiledBody).entry('matmul_forward', MATMUL_BINDINGS);
const MATMUL_REGISTER_FORWARD = new Shader('matmul_register', registerBody).entry('matmul_register_forward', MATMUL_BINDINGS);
const MATMUL_REGISTER_VEC4_FORWARD = new Shader('matmul_register_vec4', registerVec4Body).entry('matmul_register_vec4_forward', MATMUL_BINDINGS);
/** Output tile of one tiled workgroup (TILE in the WGSL). */
const TILE = 64;
/** Rows and columns of C per thread in the register variants. */
const REGISTER_BLOCK = 16;
const SUM_ROWS_FORWARD = new Shader('sum_rows', sumRowsBody).entry('sum_rows_forward', ['uniform', 'read', 'rw']);
/** Columns per sum_rows workgroup (COLS in the WGSL; WORKGROUP_SIZE / COLS row lanes). */
const SUM_ROWS_COLS = 64;

export function matmul(ctx: GpuContext, out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void {
  const constants: Record<string, number> = {
    TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0, ACCUMULATE: p.accumulate ? 1 : 0,
  };
  const uniforms = packUniforms([p.M, p.N, p.K]);
  if (ctx.tuning.matmul === 'tiled') {
    ctx.dispatch(MATMUL_FORWARD, constants, [a, b, bias ?? a, out], uniforms, [Math.ceil(p.N / TILE), Math.ceil(p.M / TILE), 1]);
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
  const wgY = Math.max(4 / wgX, Math.ceil(rows / maxWorkgroupsPerDim(ctx)));
  ctx.dispatch(vec4 ? MATMUL_REGISTER_VEC4_FORWARD : MATMUL_REGISTER_FORWARD, { ...constants, WG_X: wgX, WG_Y: wgY }, [a, b, bias ?? a, out], uniforms,
    [Math.ceil(cols / wgX), Math.ceil(rows / wgY), 1]);
}

export function sumRows(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, accumulate = false): void {
  ctx.dispatch(SUM_ROWS_FORWARD, { ACCUMULATE: accumulate ? 1 : 0 }, [x, out], packUniforms([rows, cols]), [Math.ceil(cols / SUM_ROWS_COLS), 1, 1]);
}
