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
 *
 * Tensors bind by WGSL name: a Shader reads the module's `@group(0)`
 * declarations once (parseBindings), an entry point names the storage
 * variables it binds (`SHADER.entry('softmax_forward', ['x', 'out'])`), and
 * the wrapper dispatches a record keyed by those names (`{ x, out }`).
 */
import gridLib from '../../../shaders/lib/grid.wgsl?raw';
import mathLib from '../../../shaders/lib/math.wgsl?raw';
import philoxLib from '../../../shaders/lib/philox.wgsl?raw';
import reduceLib from '../../../shaders/lib/reduce.wgsl?raw';
import { VIEW_ALIGN, type Tensor } from '../backend.ts';
import {
  grid, MAX_WORKGROUPS_PER_DIM, stripWgslComments, WGSL_ATTRIBUTES,
  type BindingKind, type GpuContext, type GpuTensor, type KernelBinding, type KernelDef,
} from '../webgpu/context.ts';
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

/**
 * The resource bindings of a WGSL module, by name: every module-scope
 * `var<uniform>` and `var<storage, …>` (and any other variable carrying
 * `@group`/`@binding`). Each must be in `@group(0)` with a `@binding(i)`;
 * a name may be declared once and at most one uniform. Entry points of one
 * module may reuse a binding index for different variables (each binds its
 * own), so two names on one index are fine here; `Shader.entry` refuses
 * them within one entry. `shader` names the module in the errors.
 */
export function parseBindings(shader: string, source: string): Map<string, KernelBinding> {
  const code = stripWgslComments(source);
  const out = new Map<string, KernelBinding>();
  const fail = (msg: string): never => { throw new Error(`${shader}.wgsl: ${msg}`); };
  const decl = new RegExp(`(${WGSL_ATTRIBUTES})\\bvar\\b\\s*(?:<([^>]*)>)?\\s*([A-Za-z_]\\w*)`, 'g');
  for (const m of code.matchAll(decl)) {
    const [, attrs, space = '', name] = m;
    const parts = space.split(',').map((x) => x.trim());
    const group = /@\s*group\s*\(\s*([^)]*?)\s*\)/.exec(attrs);
    const binding = /@\s*binding\s*\(\s*([^)]*?)\s*\)/.exec(attrs);
    const resource = parts[0] === 'uniform' || parts[0] === 'storage';
    if (!resource && !group && !binding) continue; // workgroup, private and function variables
    if (!resource) fail(`${name} is a binding of an unsupported kind (only var<uniform> and var<storage, read|read_write> are bound)`);
    if (!group || !binding) fail(`${name} (var<${space}>) needs both @group(0) and @binding(i)`);
    if (group![1] !== '0' && group![1] !== '0u' && group![1] !== '0i') fail(`${name} is in @group(${group![1]}); the kernels bind only @group(0)`);
    if (!/^\d+[ui]?$/.test(binding![1])) fail(`${name} has @binding(${binding![1]}); the index must be a literal`);
    const index = parseInt(binding![1], 10);
    let kind: BindingKind;
    if (parts[0] === 'uniform') kind = 'uniform';
    else if (parts.length === 1 || parts[1] === 'read') kind = 'read';
    else if (parts[1] === 'read_write') kind = 'rw';
    else kind = fail(`${name} has the storage access mode '${parts[1]}' (read or read_write expected)`);
    if (out.has(name)) fail(`${name} is declared twice`);
    if (kind === 'uniform') {
      const other = [...out.values()].find((b) => b.kind === 'uniform');
      if (other) fail(`more than one var<uniform> (${other.name} and ${name}); a module has at most one`);
    }
    out.set(name, { name, binding: index, kind });
  }
  return out;
}

/** Every Shader built so far (each kernel wrapper builds its own when loaded): for tests. */
const registry: Shader[] = [];
export function shaders(): readonly Shader[] {
  return registry;
}

/** One shader module (`shaders/<name>.wgsl`) and its entry points. */
export class Shader {
  readonly source: string;
  /** The module's @group(0) bindings by WGSL name (see parseBindings). */
  readonly declared: ReadonlyMap<string, KernelBinding>;
  /** The module's uniform, bound for every entry point (null if it has none). */
  readonly uniform: KernelBinding | null;
  /** The kernels of its entry points, in the order `entry` made them. */
  readonly entries: KernelDef[] = [];

  constructor(readonly name: string, body: string, preludes: readonly Prelude[] = []) {
    this.source = assemble(body, preludes);
    this.declared = parseBindings(name, this.source);
    this.uniform = [...this.declared.values()].find((b) => b.kind === 'uniform') ?? null;
    registry.push(this);
  }

  /**
   * The kernel of entry point `entry` (named `<name>_…`) binding the storage
   * variables `names` (WGSL names; their indices and kinds come from the
   * source) plus the module's uniform. `half`: those of `names` that may
   * hold float16 tensors (the matmul's weights operand).
   */
  entry(entry: string, names: readonly string[], opts: { half?: readonly string[] } = {}): KernelDef {
    const where = `${this.name}.wgsl, entry point ${entry}`;
    if (!entry.startsWith(`${this.name}_`)) throw new Error(`entry point ${entry} of ${this.name}.wgsl must be named ${this.name}_<what>`);
    const storage = [...this.declared.values()].filter((b) => b.kind !== 'uniform').map((b) => b.name);
    const bindings: KernelBinding[] = this.uniform ? [this.uniform] : [];
    for (const [i, name] of names.entries()) {
      if (names.indexOf(name) !== i) throw new Error(`${where}: binding '${name}' is listed twice`);
      const b = this.declared.get(name);
      if (!b || b.kind === 'uniform') {
        const what = b ? 'is the module\'s uniform (bound for every entry point), not a storage binding' : 'is not declared';
        throw new Error(`${where}: binding '${name}' ${what}; the module declares storage bindings ${storage.join(', ') || '(none)'}`);
      }
      const clash = bindings.find((o) => o.binding === b.binding);
      if (clash) {
        throw new Error(`${where}: '${name}' and '${clash.name}' are both @binding(${b.binding}); an entry point binds each index once`);
      }
      bindings.push(b);
    }
    for (const h of opts.half ?? []) {
      if (!names.includes(h)) throw new Error(`${where}: half-float binding '${h}' is not one of the entry's bindings (${names.join(', ')})`);
    }
    const def: KernelDef = { name: this.name, source: this.source, entry, bindings, ...(opts.half ? { half: [...opts.half] } : {}) };
    this.entries.push(def);
    return def;
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
