/**
 * The one adapter from the ops contract (`Ops` in backend.ts) to a backend's
 * kernels.
 *
 * A backend writes its kernels as an `Ops<F, U>`: the contract's signatures
 * with its own types for an f32 tensor (F) and a u32 tensor (U) — the
 * reference backend takes Float32Array and Uint32Array, the wasm backend its
 * WasmTensor records, WebGPU its GPU tensors and a context argument first.
 * `adaptOps` gives the `Ops` callers use: each call binds its tensor
 * arguments, positional or inside a named-argument object, through the
 * backend's `TensorBinder` and passes everything else (sizes, parameter
 * objects, scalars) through unchanged. No backend keeps a hand-written
 * forwarding table, and a new op is one entry in `Ops`, `OP_NAMES` and each
 * backend's kernels.
 */
import type { DType, Ops, Tensor } from './backend.ts';

/** Every op of the contract, in its declaration order (checked exhaustive below). */
export const OP_NAMES = [
  'matmul', 'sumRows', 'silu', 'siluBackward', 'gelu', 'geluBackward', 'timeEmbedding',
  'lnModulate', 'lnModulateBackward', 'gateResidual', 'gateResidualBackward', 'rope', 'ropeBackward',
  'attention', 'attentionBackward', 'softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyBackward',
  'weightedLoss', 'gaussian', 'flmNoising', 'dropout', 'axpby', 'fill', 'lincomb3',
  'distillStage1Loss', 'distillStage1Backward', 'distillStage2Loss', 'distillStage2Backward',
  'gradNormScratchSize', 'globalNormSq', 'adamw', 'ema',
] as const satisfies readonly (keyof Ops)[];

/** An op missing from OP_NAMES makes this `false` and the assignment below a type error. */
type Exhaustive = [Exclude<keyof Ops, (typeof OP_NAMES)[number]>] extends [never] ? true : false;
const exhaustive: Exhaustive = true;
void exhaustive;

/**
 * The arguments that are u32 tensors (the `U` of `Ops<F, U>`), by position;
 * every other tensor, positional or named, is f32. The binder checks each
 * tensor against the dtype its position expects.
 */
export const U32_ARGUMENTS: Readonly<Partial<Record<keyof Ops, readonly number[]>>> = {
  crossEntropy: [2], crossEntropyBackward: [2], flmNoising: [2],
};

/**
 * How a backend's kernels see the contract's tensors. The adapter has
 * checked the dtype; the binder throws a TypeError for a tensor of another
 * backend (`what` names the op and argument).
 */
export interface TensorBinder<F, U> {
  /** The kernels' form of an f32 tensor. */
  f32(t: Tensor, what: string): F;
  /** The kernels' form of a u32 tensor. */
  u32(t: Tensor, what: string): U;
}

/** Throws a TypeError naming `what` when `t` is not of `dtype`. */
export function checkDtype(t: Tensor, dtype: DType, what: string): void {
  if (t.dtype !== dtype) throw new TypeError(`${what}: expected a${dtype === 'u32' ? '' : 'n'} ${dtype} tensor, got ${t.label} (${t.dtype})`);
}

/** Whether a value is a tensor (of any backend): it has the contract's three fields. */
export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'size' in x && 'dtype' in x && 'label' in x;
}

/** A named-argument object: a plain object whose values are all tensors or null, at least one a tensor. */
function isTensorObject(x: unknown): x is Record<string, Tensor | null> {
  if (typeof x !== 'object' || x === null || isTensor(x) || Object.getPrototypeOf(x) !== Object.prototype) return false;
  let any = false;
  for (const v of Object.values(x)) {
    if (isTensor(v)) any = true;
    else if (v !== null) return false;
  }
  return any;
}

/** Every tensor an op's arguments bind, as the adapter binds them: positional tensors and those of named-argument objects. */
export function tensorArguments(args: readonly unknown[]): Tensor[] {
  const out: Tensor[] = [];
  for (const a of args) {
    if (isTensor(a)) out.push(a);
    else if (isTensorObject(a)) for (const v of Object.values(a)) if (v !== null) out.push(v);
  }
  return out;
}

type Kernel = (...args: never[]) => unknown;

/** The contract's `Ops` over a backend's kernels. */
export function adaptOps<F, U>(kernels: Ops<F, U>, binder: TensorBinder<F, U>): Ops {
  const ops: Partial<Record<keyof Ops, (...args: unknown[]) => unknown>> = {};
  for (const name of OP_NAMES) {
    const kernel: Kernel = kernels[name];
    const u32 = U32_ARGUMENTS[name] ?? [];
    const bindTensor = (t: Tensor, dtype: DType, what: string): F | U => {
      checkDtype(t, dtype, what);
      return dtype === 'u32' ? binder.u32(t, what) : binder.f32(t, what);
    };
    const bindArg = (a: unknown, i: number): unknown => {
      if (isTensor(a)) return bindTensor(a, u32.includes(i) ? 'u32' : 'f32', `${name} argument ${i + 1}`);
      if (isTensorObject(a)) {
        const o: Record<string, F | U | null> = {};
        for (const [k, v] of Object.entries(a)) o[k] = v === null ? null : bindTensor(v, 'f32', `${name} ${k}`);
        return o;
      }
      return a;
    };
    ops[name] = (...args: unknown[]) => Reflect.apply(kernel, kernels, args.map(bindArg));
  }
  return ops as Ops;
}

/** Kernels that take a context (the WebGPU device context) before the op's own arguments. */
export type KernelsWithContext<C, F = Tensor, U = F> = {
  [K in keyof Ops<F, U>]: (ctx: C, ...args: Parameters<Ops<F, U>[K]>) => ReturnType<Ops<F, U>[K]>;
};

/** The kernels with `ctx` bound as their first argument. */
export function withContext<C, F, U>(kernels: KernelsWithContext<C, F, U>, ctx: C): Ops<F, U> {
  const out: Partial<Record<keyof Ops, (...args: unknown[]) => unknown>> = {};
  for (const name of OP_NAMES) {
    const kernel: Kernel = kernels[name];
    out[name] = (...args: unknown[]) => Reflect.apply(kernel, kernels, [ctx, ...args]);
  }
  return out as Ops<F, U>;
}
