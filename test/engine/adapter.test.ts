import { describe, expect, it } from 'vitest';
import { adaptOps, isTensor, OP_NAMES, tensorArguments, U32_ARGUMENTS, withContext, type KernelsWithContext } from '../../src/engine/adapter.ts';
import type { Ops, Tensor } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { WasmBackend } from '../../src/engine/wasm/wasmBackend.ts';

/** A fake tensor and a recording kernel table: what each kernel received, per op. */
class Fake implements Tensor {
  constructor(readonly label: string, readonly dtype: 'f32' | 'u32' = 'f32', readonly size = 4) {}
}
function recorder(): { kernels: Ops<string, string>; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const kernels = Object.fromEntries(OP_NAMES.map((name) => [name, (...args: unknown[]) => { calls.push([name, args]); return 7; }]));
  return { kernels: kernels as unknown as Ops<string, string>, calls };
}
/** A binder that fails the test if the adapter hands it a tensor of the wrong dtype (the adapter checks dtypes itself). */
const binder = {
  f32: (t: Tensor) => { expect(t.dtype).toBe('f32'); return `f32:${t.label}`; },
  u32: (t: Tensor) => { expect(t.dtype).toBe('u32'); return `u32:${t.label}`; },
};

describe('the generic ops adapter', () => {
  it('binds positional tensors and named-argument objects, and passes everything else through', () => {
    const { kernels, calls } = recorder();
    const ops = adaptOps(kernels, binder);
    const p = { M: 1, N: 2, K: 3 };
    ops.matmul(new Fake('o'), new Fake('a'), new Fake('b'), p);
    ops.attention({ o: new Fake('o'), att: new Fake('att'), q: new Fake('q'), k: new Fake('k'), v: new Fake('v') },
      { batch: 1, length: 2, heads: 1, headDim: 2, softcap: 0 });
    ops.weightedLoss({ perToken: new Fake('p'), loss: new Fake('l'), dce: new Fake('d'), dw: null, ce: new Fake('ce'), w: null }, 2, 3);
    const lr = () => 0.5;
    ops.axpby(new Fake('out'), lr, new Fake('x'), 0, new Fake('y'), 4);
    ops.crossEntropy(new Fake('ce'), new Fake('logits'), new Fake('t', 'u32'), 2, 3);
    expect(ops.gradNormScratchSize(10)).toBe(7);

    expect(calls[0]).toEqual(['matmul', ['f32:o', 'f32:a', 'f32:b', p]]);
    expect(calls[0][1][3]).toBe(p); // the same parameter object, not a copy
    expect(calls[1][1][0]).toEqual({ o: 'f32:o', att: 'f32:att', q: 'f32:q', k: 'f32:k', v: 'f32:v' });
    expect(calls[2][1]).toEqual([{ perToken: 'f32:p', loss: 'f32:l', dce: 'f32:d', dw: null, ce: 'f32:ce', w: null }, 2, 3]);
    expect(calls[3][1][1]).toBe(lr); // scalars stay functions, read when the kernel runs
    expect(calls[4][1]).toEqual(['f32:ce', 'f32:logits', 'u32:t', 2, 3]);
    expect(calls[5]).toEqual(['gradNormScratchSize', [10]]);
  });

  it('checks every tensor against the dtype its position expects, naming the op and the argument', () => {
    const ops = adaptOps(recorder().kernels, binder);
    expect(() => ops.crossEntropy(new Fake('ce'), new Fake('logits'), new Fake('t'), 2, 3)).toThrow('crossEntropy argument 3: expected a u32 tensor, got t (f32)');
    expect(() => ops.softmax(new Fake('o'), new Fake('x', 'u32'), 1, 4)).toThrow('softmax argument 2: expected an f32 tensor, got x (u32)');
    expect(() => ops.lincomb3({ out: new Fake('o'), x: new Fake('x'), y: new Fake('y'), z: new Fake('z', 'u32'), c: new Fake('c') }, 4, 4))
      .toThrow('lincomb3 z: expected an f32 tensor, got z (u32)');
    for (const [name, positions] of Object.entries(U32_ARGUMENTS)) {
      expect(OP_NAMES).toContain(name);
      for (const i of positions ?? []) expect(i).toBeGreaterThanOrEqual(0);
    }
  });

  it('withContext hands the context to every kernel first', () => {
    const seen: unknown[][] = [];
    const kernels = Object.fromEntries(OP_NAMES.map((name) => [name, (...args: unknown[]) => { seen.push([name, ...args]); }]));
    const ops = withContext(kernels as unknown as KernelsWithContext<string>, 'ctx');
    const t = new Fake('t');
    ops.fill(t, 3, 4);
    expect(seen).toEqual([['fill', 'ctx', t, 3, 4]]);
  });

  it('tells a tensor from a parameter object', () => {
    expect(isTensor(new Fake('x'))).toBe(true);
    expect(isTensor({ rows: 1, dim: 2 })).toBe(false);
    expect(isTensor(null)).toBe(false);
  });

  it('lists the tensors an op binds, positional and named, as the adapter binds them (the memory planner counts them)', () => {
    const [a, b, c] = [new Fake('a'), new Fake('b'), new Fake('c', 'u32')];
    expect(tensorArguments([a, { o: b, bias: null, k: c }, 5, { batch: 1, heads: 2 }]).map((t) => t.label)).toEqual(['a', 'b', 'c']);
    expect(tensorArguments([{ rows: 3 }, null, 'x'])).toEqual([]);
  });

  it('refuses, on the real backends, a tensor of another backend or of the wrong dtype', async () => {
    const cpu = new CpuBackend();
    const wasm = await WasmBackend.create();
    try {
      const c = cpu.tensor(4), w = wasm.tensor(4), targets = cpu.tensor(2, 'targets', 'u32');
      expect(() => cpu.ops.silu(c, w, 4)).toThrow(/silu argument 2: .* is not a tensor of the CPU backend/);
      expect(() => wasm.ops.silu(w, c, 4)).toThrow(/silu argument 2: .* is not a tensor of this wasm backend/);
      expect(() => cpu.ops.crossEntropy(cpu.tensor(2), cpu.tensor(4), cpu.tensor(2), 2, 2)).toThrow(/crossEntropy argument 3: expected a u32 tensor/);
      expect(() => cpu.ops.attention({ o: c, att: c, q: c, k: targets, v: c }, { batch: 1, length: 1, heads: 1, headDim: 4, softcap: 0 }))
        .toThrow(/attention k: expected an f32 tensor, got targets/);
      const wt = wasm.tensor(2, 'wt', 'u32');
      expect(() => wasm.ops.fill(wt, 0, 2)).toThrow(/fill argument 1: expected an f32 tensor, got wt/);
    } finally {
      wasm.destroy();
    }
  });
});
