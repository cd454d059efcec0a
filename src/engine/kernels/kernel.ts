/**
 * What every kernel wrapper shares: the workgroup size, the assembly of a
 * kernel's WGSL module from its shader and the shared preludes, the entry
 * point naming scheme, and the dispatch grids.
 *
 * WGSL has no includes, so a module is the text
 *   `const WORKGROUP_SIZE: u32 = 256u;` + the preludes it asks for + its shader,
 * the preludes being `shaders/lib/*.wgsl`:
 *   grid    flat_workgroup / flat_index / flat_row over the 2-D dispatch grid
 *   reduce  the workgroup tree reductions (row_sum, row_max, row_max_sumexp, …)
 *   math    exp_acc, sigmoid2, tanh_acc, sech2_acc, cos_sin_quadrant
 *   philox  Philox4x32-10
 *
 * Entry points are named `<shader>_<what>`: `<shader>_forward`,
 * `<shader>_backward` (or `_backward_<pass>`), or a verb for the rest
 * (`adamw_step`, `noise_gaussian`), where `<shader>` is the file's name in
 * `shaders/`; `Shader.entry` checks the prefix.
 */
import gridLib from '../../../shaders/lib/grid.wgsl?raw';
import mathLib from '../../../shaders/lib/math.wgsl?raw';
import philoxLib from '../../../shaders/lib/philox.wgsl?raw';
import reduceLib from '../../../shaders/lib/reduce.wgsl?raw';
import { VIEW_ALIGN, type Tensor } from '../backend.ts';
import { grid, MAX_WORKGROUPS_PER_DIM, type BindingKind, type GpuContext, type GpuTensor, type KernelDef } from '../webgpu/context.ts';
import { GpuBindingLimitError } from '../webgpu/errors.ts';

/**
 * Threads per workgroup of the one-dimensional kernels (elementwise, row and
 * reduction kernels): the one declaration, seen in WGSL as WORKGROUP_SIZE. A
 * power of two ≥ 64 (the column-block kernels split it into 32 × (it/32)).
 * Changing it changes the row kernels' summation order (lanes per row).
 */
export const WORKGROUP_SIZE = 256;

const PRELUDES = { grid: gridLib, reduce: reduceLib, math: mathLib, philox: philoxLib } as const;
export type Prelude = keyof typeof PRELUDES;

/** The WGSL module of a shader: the workgroup size, then the preludes (in the order given), then the shader. */
export function assemble(body: string, preludes: readonly Prelude[] = []): string {
  return [`const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;`, ...preludes.map((p) => PRELUDES[p]), body].join('\n');
}

/** One shader module (`shaders/<name>.wgsl`) and its entry points. */
export class Shader {
  readonly source: string;
  constructor(readonly name: string, body: string, preludes: readonly Prelude[] = []) {
    this.source = assemble(body, preludes);
  }

  /** The kernel of entry point `entry` (named `<name>_…`); `bindings` lists @group(0) @binding(i) in order. */
  entry(entry: string, bindings: BindingKind[], halfBindings?: number[]): KernelDef {
    if (!entry.startsWith(`${this.name}_`)) throw new Error(`entry point ${entry} of ${this.name}.wgsl must be named ${this.name}_<what>`);
    return { name: this.name, source: this.source, entry, bindings, ...(halfBindings ? { halfBindings } : {}) };
  }
}

const gridLimits = new WeakMap<GpuContext, number>();

/** Workgroups per grid dimension the wrappers use on `ctx` (65 535 unless a test lowered it). */
export function maxWorkgroupsPerDim(ctx: GpuContext): number {
  return gridLimits.get(ctx) ?? MAX_WORKGROUPS_PER_DIM;
}

/**
 * Tests: make the wrappers on `ctx` spread their grids as if at most `limit`
 * workgroups fitted in one dimension, so that small inputs take the 2-D grid
 * path that real ones take past 65 535 workgroups. null restores the limit.
 */
export function setMaxWorkgroupsPerDim(ctx: GpuContext, limit: number | null): void {
  if (limit === null) gridLimits.delete(ctx);
  else gridLimits.set(ctx, Math.min(Math.max(1, Math.floor(limit)), MAX_WORKGROUPS_PER_DIM));
}

/** `groups` workgroups spread over x and y (the kernels flatten them with flat_workgroup). */
export function workgroupGrid(ctx: GpuContext, groups: number): [number, number, number] {
  return grid(groups, maxWorkgroupsPerDim(ctx));
}

/** The grid for one thread per element over n elements (flat_index). */
export function elementGrid(ctx: GpuContext, n: number): [number, number, number] {
  return workgroupGrid(ctx, Math.ceil(n / WORKGROUP_SIZE));
}

/**
 * Lanes per row of the row kernels (LayerNorm, softmax, cross-entropy, the
 * distillation losses): 1 on CPU-emulated adapters (one thread per row, so
 * the lane reduction and its barriers disappear), else a power of two in
 * [32, WORKGROUP_SIZE], about cols/4 (each lane owns ~4 elements).
 */
export function rowLanes(ctx: GpuContext, cols: number): number {
  if (ctx.tuning.rows === 'thread') return 1;
  let t = 32;
  while (t < WORKGROUP_SIZE && t * 4 < cols) t *= 2;
  return t;
}

/** The grid for `rows` rows of `lanes` threads, WORKGROUP_SIZE / lanes rows per workgroup (flat_row). */
export function rowGrid(ctx: GpuContext, rows: number, lanes: number): [number, number, number] {
  return workgroupGrid(ctx, Math.ceil(rows / (WORKGROUP_SIZE / lanes)));
}

// ------------------------------------------------------------------ chunking
//
// A storage binding may hold at most maxStorageBufferBindingSize bytes (128
// MiB by default; the device asks for the adapter's own limit, but some
// adapters stop there). The vocabulary-sized ops of a model of the paper's
// size pass it: the noisy one-hot input and the logits are [L, V] = 206 MB
// per sequence at L = 1024, V = 50,258, the output layer 154 MB. Their
// wrappers then split the work so that every binding stays under the limit:
// each chunk binds views of its own rows (or elements), starting on 256-byte
// boundaries (the largest minStorageBufferOffsetAlignment the spec allows).
// When every tensor fits, the wrappers dispatch exactly as before.

/** Tests: make `ctx` act as if its storage bindings were limited to `bytes` (null: the device's limit). */
export function setMaxBindingBytes(ctx: GpuContext, bytes: number | null): void {
  ctx.bindingLimitOverride = bytes;
}

/** The largest binding on `ctx`, in 4-byte elements. */
export function maxBindingElements(ctx: GpuContext): number {
  return Math.floor(ctx.maxBindingBytes / 4);
}

/** Whether every tensor can be bound whole on `ctx`. */
export function bindable(ctx: GpuContext, ...tensors: Tensor[]): boolean {
  const max = ctx.maxBindingBytes;
  return tensors.every((t) => (t as GpuTensor).byteLength === undefined || (t as GpuTensor).byteLength <= max);
}

/** Elements per view alignment (VIEW_ALIGN: 256 bytes of f32). */
export const CHUNK_ALIGN = VIEW_ALIGN;

/** Row ranges [start, end) of at most ⌊maxElements/cols⌋ rows, each start a multiple of `align` rows. */
export function rowChunks(ctx: GpuContext, rows: number, cols: number, what: string, align = CHUNK_ALIGN): [number, number][] {
  const max = maxBindingElements(ctx);
  let per = Math.floor(max / Math.max(cols, 1));
  per -= per % align;
  if (per < 1) {
    throw new GpuBindingLimitError(
      `${what}: ${align} rows of ${cols} values do not fit in one binding of ${ctx.maxBindingBytes} bytes (maxStorageBufferBindingSize)`,
      align * cols * 4, ctx.maxBindingBytes);
  }
  const out: [number, number][] = [];
  for (let r = 0; r < rows; r += per) out.push([r, Math.min(rows, r + per)]);
  return out;
}

/** Element ranges [start, end) of at most maxElements, each start a multiple of `align` elements. */
export function rangeChunks(ctx: GpuContext, n: number, align = CHUNK_ALIGN): [number, number][] {
  return rowChunks(ctx, n, 1, 'elementwise', align);
}

/** A view of `t` for rows [start, end) of width `cols` (no view when it is the whole of a tensor that fits). */
export function rowsView(ctx: GpuContext, t: Tensor, start: number, end: number, cols: number): Tensor {
  return ctx.view(t as GpuTensor, start * cols, (end - start) * cols);
}
