import tiledBody from '../../../shaders/matmul.wgsl?raw';
import registerBody from '../../../shaders/matmul_register.wgsl?raw';
import registerVec4Body from '../../../shaders/matmul_register_vec4.wgsl?raw';
import sumRowsBody from '../../../shaders/sum_rows.wgsl?raw';
import type { MatmulParams, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext, type GpuTensor } from '../webgpu/context.ts';
import { GpuBindingLimitError } from '../webgpu/errors.ts';
import { bindable, CHUNK_ALIGN, maxBindingElements, maxWorkgroupsPerDim, Shader } from './kernel.ts';

const MATMUL_NAMES = ['A', 'B', 'bias', 'C'];
/** B (the weights of a linear layer) may hold float16 values. */
const HALF_B = { half: ['B'] };
const MATMUL_FORWARD = new Shader('matmul', tiledBody).entry('matmul_forward', MATMUL_NAMES, HALF_B);
const MATMUL_REGISTER_FORWARD = new Shader('matmul_register', registerBody).entry('matmul_register_forward', MATMUL_NAMES, HALF_B);
const MATMUL_REGISTER_VEC4_FORWARD = new Shader('matmul_register_vec4', registerVec4Body).entry('matmul_register_vec4_forward', MATMUL_NAMES);
/** Output tile of one tiled workgroup (TILE in the WGSL). */
const TILE = 64;
/** Rows and columns of C per thread in the register variants. */
const REGISTER_BLOCK = 16;
const SUM_ROWS_FORWARD = new Shader('sum_rows', sumRowsBody).entry('sum_rows_forward', ['x', 'out']);
/** Columns per sum_rows workgroup (COLS in the WGSL; WORKGROUP_SIZE / COLS row lanes). */
const SUM_ROWS_COLS = 64;

/** One product C (+)= op(A)·op(B) (+ bias) on bound tensors; `ld*` are row strides when the operands are windows (0: natural). */
interface Block {
  M: number; N: number; K: number;
  a: Tensor; b: Tensor; out: Tensor; bias?: Tensor;
  lda: number; ldb: number; ldc: number;
  accumulate: boolean;
}

function dispatchBlock(ctx: GpuContext, p: MatmulParams, blk: Block): void {
  const halfB = (blk.b as GpuTensor).half === true;
  const constants: Record<string, number> = {
    TRANS_A: p.transA ? 1 : 0, TRANS_B: p.transB ? 1 : 0,
    HAS_BIAS: blk.bias ? 1 : 0, ACCUMULATE: blk.accumulate ? 1 : 0,
  };
  // Only blocks of a split product (and float16 weights) name the extra
  // overrides, so a whole product keeps the pipeline it always had.
  if (blk.lda) constants.LDA = blk.lda;
  if (blk.ldb) constants.LDB = blk.ldb;
  if (blk.ldc) constants.LDC = blk.ldc;
  if (halfB) constants.HALF_B = 1;
  const { M, N, K } = blk;
  const uniforms = packUniforms([M, N, K]);
  // Without a bias (HAS_BIAS = 0) the binding is not read: A stands in.
  const tensors = { A: blk.a, B: blk.b, bias: blk.bias ?? blk.a, C: blk.out };
  if (ctx.tuning.matmul === 'tiled') {
    ctx.dispatch(MATMUL_FORWARD, constants, tensors, uniforms, [Math.ceil(N / TILE), Math.ceil(M / TILE), 1]);
    return;
  }
  // Register variant: one thread per 16×16 block of C. Every tensor (views
  // included) starts on a VIEW_ALIGN boundary, so when the contiguous
  // dimension of each operand, K and N (and the row strides of windows) are
  // multiples of 4 all of them can be read as vec4.
  const lda = blk.lda || (p.transA ? M : K), ldb = blk.ldb || (p.transB ? K : N), ldc = blk.ldc || N;
  const vec4 = !halfB && K > 0 && (p.transA ? M : K) % 4 === 0 && K % 4 === 0 && N % 4 === 0 &&
    lda % 4 === 0 && ldb % 4 === 0 && ldc % 4 === 0;
  // Workgroups of 4 threads (one SwiftShader SIMD group; there is nothing to
  // share between threads) leave many workgroups for the worker threads to
  // divide; the 4 go along N unless C has too few column blocks. Taller
  // workgroups only when the rows would exceed the workgroup-count limit.
  const cols = Math.ceil(N / REGISTER_BLOCK), rows = Math.ceil(M / REGISTER_BLOCK);
  const wgX = cols >= 4 ? 4 : cols >= 2 ? 2 : 1;
  const wgY = Math.max(4 / wgX, Math.ceil(rows / maxWorkgroupsPerDim(ctx)));
  ctx.dispatch(vec4 ? MATMUL_REGISTER_VEC4_FORWARD : MATMUL_REGISTER_FORWARD, { ...constants, WG_X: wgX, WG_Y: wgY }, tensors, uniforms,
    [Math.ceil(cols / wgX), Math.ceil(rows / wgY), 1]);
}

/**
 * Block sizes (mb, nb, kb) of a product whose operands exceed the binding
 * limit: each block's windows of A, B and C — rows of the operand's stored
 * matrix, from the block's first row to its last — fit in `max` elements.
 * A stored [M, K] spans about mb·K, stored [K, M] kb·M; B [K, N] kb·N,
 * [N, K] nb·K; C mb·N. Each violation halves the dimension that counts the
 * operand's stored rows (the other one only once that is down to one
 * alignment step), keeping every size a multiple of `align` (N and K of
 * `alignB`, B's) so that every window starts on a view boundary.
 */
export function matmulBlocks(p: MatmulParams, max: number, align: number, alignB = align): { mb: number; nb: number; kb: number } {
  const { M, N, K } = p;
  const d = { m: M, n: N, k: K };
  type Dim = keyof typeof d;
  // B's windows start at multiples of its own alignment (float16: 128 elements) in both of its dimensions.
  const step = { m: align, n: alignB, k: alignB };
  const span = (rows: number, ld: number, width: number) => (rows - 1) * ld + width;
  const halve = (x: Dim) => {
    const full = x === 'm' ? M : x === 'n' ? N : K;
    const v = Math.max(step[x], Math.ceil(d[x] / 2 / step[x]) * step[x]);
    d[x] = Math.min(v, full);
  };
  const atMin = (x: Dim) => d[x] <= step[x];
  for (let guard = 0; guard < 200; guard++) {
    // [stored rows dim, row stride, width dim] of each operand.
    const ops: [Dim, number, Dim][] = [
      p.transA ? ['k', M, 'm'] : ['m', K, 'k'],
      p.transB ? ['n', K, 'k'] : ['k', N, 'n'],
      ['m', N, 'n'],
    ];
    const bad = ops.find(([r, ld, w]) => span(d[r], ld, d[w]) > max) ?? (d.n > max ? (['n', 1, 'n'] as [Dim, number, Dim]) : undefined);
    if (!bad) return { mb: d.m, nb: d.n, kb: d.k };
    const [r, , w] = bad;
    if (!atMin(r)) halve(r);
    else if (!atMin(w)) halve(w);
    else break;
  }
  throw new GpuBindingLimitError(
    `matmul ${M}×${K} · ${K}×${N}: no split into blocks of ${align} rows fits one binding of ${max * 4} bytes (maxStorageBufferBindingSize)`,
    alignB * Math.max(M, N, K) * 4, max * 4);
}

export function matmul(ctx: GpuContext, out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void {
  const whole: Block = { M: p.M, N: p.N, K: p.K, a, b, out, bias, lda: 0, ldb: 0, ldc: 0, accumulate: !!p.accumulate };
  if (bindable(ctx, a, b, out, ...(bias ? [bias] : []))) {
    dispatchBlock(ctx, p, whole);
    return;
  }
  matmulSplit(ctx, out, a, b, p, bias);
}

/**
 * The product in blocks whose bindings fit (see matmulBlocks): for each
 * block of C, the K blocks in order, the first one writing (or
 * accumulating, as asked) and the others accumulating. Results equal the
 * whole product's up to the order of the K sums.
 */
function matmulSplit(ctx: GpuContext, out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void {
  const { M, N, K } = p;
  // float16 weights: views of them start on 128-element boundaries (256 bytes).
  const alignB = (b as GpuTensor).half ? 2 * CHUNK_ALIGN : CHUNK_ALIGN;
  const { mb, nb, kb } = matmulBlocks(p, maxBindingElements(ctx), CHUNK_ALIGN, alignB);
  const win = (t: Tensor, r0: number, rows: number, ld: number, c0: number, width: number) =>
    ctx.view(t as GpuTensor, r0 * ld + c0, (rows - 1) * ld + width);
  for (let m0 = 0; m0 < M; m0 += mb) {
    const Ms = Math.min(mb, M - m0);
    for (let n0 = 0; n0 < N; n0 += nb) {
      const Ns = Math.min(nb, N - n0);
      for (let k0 = 0; k0 < K; k0 += kb) {
        const Ks = Math.min(kb, K - k0);
        const first = k0 === 0;
        // A stride equal to the block's own width is left implicit (fewer pipeline variants).
        const ld = (stride: number, natural: number) => (stride === natural ? 0 : stride);
        dispatchBlock(ctx, p, {
          M: Ms, N: Ns, K: Ks,
          a: p.transA ? win(a, k0, Ks, M, m0, Ms) : win(a, m0, Ms, K, k0, Ks),
          b: p.transB ? win(b, n0, Ns, K, k0, Ks) : win(b, k0, Ks, N, n0, Ns),
          out: win(out, m0, Ms, N, n0, Ns),
          // The bias is added once, by the first K block.
          bias: bias && first ? ctx.view(bias as GpuTensor, n0, Ns) : undefined,
          lda: p.transA ? ld(M, Ms) : ld(K, Ks), ldb: p.transB ? ld(K, Ks) : ld(N, Ns), ldc: ld(N, Ns),
          accumulate: first ? !!p.accumulate : true,
        });
      }
    }
  }
}

export function sumRows(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, accumulate = false): void {
  ctx.dispatch(SUM_ROWS_FORWARD, { ACCUMULATE: accumulate ? 1 : 0 }, { x, out }, packUniforms([rows, cols]), [Math.ceil(cols / SUM_ROWS_COLS), 1, 1]);
}
