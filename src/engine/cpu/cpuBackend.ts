import { adaptOps } from '../adapter.ts';
import type { Backend, DType, Ops, Program, Tensor } from '../backend.ts';
import * as ref from '../reference/index.ts';

/** A tensor of the CPU backend: a typed array (or a window into one). */
export class CpuTensor implements Tensor {
  constructor(
    readonly data: Float32Array | Uint32Array,
    readonly dtype: DType,
    readonly label: string,
  ) {}
  get size(): number { return this.data.length; }
}

/** The reference backend's view of a tensor (its dtype checked by the adapter): its typed array. */
function data<A extends Float32Array | Uint32Array>(t: Tensor, what: string): A {
  if (!(t instanceof CpuTensor)) throw new TypeError(`${what}: ${t.label} is not a tensor of the CPU backend`);
  return t.data as A;
}

/** The reference kernels as the contract's ops: the reference functions themselves, but for the gradient norm's scratch. */
const kernels: Ops<Float32Array, Uint32Array> = {
  ...ref,
  gradNormScratchSize: () => 1,
  globalNormSq: (out, _scratch, x, n) => ref.globalNormSq(out, x, n),
};

const ops = adaptOps(kernels, {
  f32: (t, what) => data<Float32Array>(t, what),
  u32: (t, what) => data<Uint32Array>(t, what),
});

/** The reference backend: plain TypeScript on typed arrays, ops run when called. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly description = 'CPU reference (plain TypeScript)';
  readonly ops = ops;

  tensor(size: number, label = 'tensor', dtype: DType = 'f32'): Tensor {
    return new CpuTensor(dtype === 'f32' ? new Float32Array(size) : new Uint32Array(size), dtype, label);
  }
  view(t: Tensor, offset: number, size: number, label?: string): Tensor {
    const c = t as CpuTensor;
    if (offset < 0 || offset + size > c.size) throw new RangeError(`view [${offset}, ${offset + size}) outside ${c.label} of ${c.size}`);
    return new CpuTensor(c.data.subarray(offset, offset + size), c.dtype, label ?? `${c.label}[${offset}:]`);
  }
  write(t: Tensor, data: Float32Array | Uint32Array, offset = 0): void {
    (t as CpuTensor).data.set(data, offset);
  }
  async read(t: Tensor): Promise<Float32Array> {
    const c = t as CpuTensor;
    return c.dtype === 'f32' ? Float32Array.from(c.data) : Float32Array.from(c.data);
  }
  async readU32(t: Tensor): Promise<Uint32Array> {
    return Uint32Array.from((t as CpuTensor).data);
  }
  compile(fn: () => void): Program {
    return { run: fn };
  }
  async sync(): Promise<void> {}
  release(): void {}
  destroy(): void {}
}
