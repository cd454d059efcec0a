/**
 * Tensors above the device's maxStorageBufferBindingSize (docs/engine.md,
 * "Large models"): this file lowers the binding limit the context enforces
 * (setMaxBindingBytes) so that small tensors take the chunked paths that a
 * model of the paper's size takes, and checks that every binding then stays
 * under the limit and that the results equal the whole dispatch's — bit for
 * bit where each output element is computed the same way (rows, elements,
 * matmul blocks of M and N), within float tolerance where a matmul's K is
 * split — and the CPU reference. Also: pieced tensors (weights in several
 * buffers), float16 weights in the matmul, and the typed errors.
 */
import { describe, expect, it, vi } from 'vitest';
import type { MatmulParams, Tensor } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/index.ts';
import { setMaxBindingBytes } from '../../src/engine/kernels/kernel.ts';
import { matmul, matmulBlocks } from '../../src/engine/kernels/matmul.ts';
import { GpuPiecedTensor, type GpuTensor } from '../../src/engine/webgpu/context.ts';
import { GpuBindingLimitError, GpuOutOfMemoryError } from '../../src/engine/webgpu/errors.ts';
import type { GpuBackend } from '../../src/engine/webgpu/gpuBackend.ts';
import { roundToHalf } from '../../src/engine/host/half.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

function f32(gpu: GpuBackend, data: Float32Array): Tensor {
  const t = gpu.tensor(data.length);
  gpu.write(t, data);
  return t;
}

/** Run `f` with the binding limit lowered to `bytes`; returns the dispatches' bindings. */
async function limited<T>(gpu: GpuBackend, bytes: number | null, f: () => Promise<T>): Promise<{ out: T; bindings: GpuTensor[][] }> {
  const spy = vi.spyOn(gpu.ctx, 'dispatch');
  setMaxBindingBytes(gpu.ctx, bytes);
  try {
    const out = await f();
    return { out, bindings: spy.mock.calls.map((c) => Object.values(c[2]) as GpuTensor[]) };
  } finally {
    setMaxBindingBytes(gpu.ctx, null);
    spy.mockRestore();
  }
}

function expectUnder(bindings: GpuTensor[][], bytes: number): void {
  expect(bindings.length).toBeGreaterThan(1);
  for (const call of bindings) for (const t of call) expect(t.byteLength, t.label).toBeLessThanOrEqual(bytes);
}

describe('device limits', () => {
  it('the device is granted the adapter\'s largest buffer, binding and workgroup memory limits, and reports both', async () => {
    const gpu = await gpuBackend();
    const { limits, adapterLimits } = gpu.summary;
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) {
      expect(limits[k], k).toBe(adapterLimits[k]);
    }
    expect(limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 2 ** 20); // above the default (SwiftShader: 1 GiB)
    expect(limits.minStorageBufferOffsetAlignment).toBeLessThanOrEqual(256);
    expect(gpu.ctx.maxBindingBytes).toBe(limits.maxStorageBufferBindingSize);
    expect(gpu.ctx.maxBufferBytes).toBe(limits.maxBufferSize);
  });
});

describe('matmul blocks under a lowered binding limit', () => {
  it('matmulBlocks keeps every window under the limit, in multiples of the alignment', () => {
    const V = 50258, D = 768, R = 1024, max = (128 * 2 ** 20) / 4;
    // the OWT embedding (x [R, V] · E [V, D]) and output layer (ln [R, D] · W [V, D]ᵀ)
    const embed = matmulBlocks({ M: R, N: D, K: V }, max, 64);
    expect((embed.mb - 1) * V + embed.kb).toBeLessThanOrEqual(max);
    expect((embed.kb - 1) * D + D).toBeLessThanOrEqual(max);
    expect(embed.mb % 64).toBe(0);
    const out = matmulBlocks({ M: R, N: V, K: D, transB: true }, max, 64);
    expect((out.nb - 1) * D + D).toBeLessThanOrEqual(max);
    expect((out.mb - 1) * V + out.nb).toBeLessThanOrEqual(max);
    expect(out.kb).toBe(D);
    expect(() => matmulBlocks({ M: 100, N: 100, K: 100 }, 1000, 64)).toThrow(GpuBindingLimitError);
  });

  // [M, N, K, transA, transB, limit in floats]: each splits some of M, N, K.
  const cases: [number, number, number, boolean, boolean, number][] = [
    [130, 70, 300, false, false, 20000], // A by rows, B by K: K split
    [130, 300, 100, false, true, 24000], // the output layer's shape: B and C by N and M
    [150, 40, 260, true, false, 16000], // A stored [K, M]: K split
    [130, 150, 90, true, true, 12000],
    [200, 36, 48, false, false, 4000], // vec4-able shapes: the vec4 kernel on windows
  ];
  for (const variant of ['register', 'tiled'] as const) {
    for (const [M, N, K, transA, transB, limit] of cases) {
      it(`${variant}: M=${M} N=${N} K=${K} transA=${transA} transB=${transB}, ${limit} floats per binding`, async () => {
        const gpu = await gpuBackend();
        const saved = gpu.ctx.tuning;
        gpu.ctx.tuning = { ...saved, matmul: variant };
        try {
          const a = randomArray(M * K, M + K), b = randomArray(K * N, N + 3 * K), bias = randomArray(N, 7), init = randomArray(M * N, 8);
          const p: MatmulParams = { M, N, K, transA, transB, accumulate: true };
          const want = Float32Array.from(init);
          ref.matmul(want, a, b, p, bias);
          const run = async () => {
            const ta = f32(gpu, a), tb = f32(gpu, b), tbias = f32(gpu, bias), tout = f32(gpu, init);
            matmul(gpu.ctx, tout, ta, tb, p, tbias);
            const r = await gpu.read(tout);
            for (const t of [ta, tb, tbias, tout]) gpu.release(t);
            return r;
          };
          const whole = await run();
          const split = await limited(gpu, limit * 4, run);
          expectUnder(split.bindings, limit * 4);
          expect(maxRelL2(split.out, want)).toBeLessThan(1e-5);
          expect(maxRelL2(split.out, whole)).toBeLessThan(1e-6);
          const { kb } = matmulBlocks(p, limit, 64);
          if (kb === K) expect([...split.out]).toEqual([...whole]); // same K sums: same bits
        } finally {
          gpu.ctx.tuning = saved;
        }
      });
    }
  }
});

describe('row and elementwise ops in chunks give the same bits as one dispatch', () => {
  const R = 200, V = 67, B = 2, L = R / B, N = R * V;
  const limit = 64 * V * 4 + 64; // 64 rows of V floats per binding
  for (const rows of ['thread', 'lanes'] as const) {
    it(`softmax, logSoftmax, crossEntropy(+backward), axpby, fill, gaussian, lincomb3, flmNoising (${rows} per row)`, async () => {
      const gpu = await gpuBackend();
      const saved = gpu.ctx.tuning;
      gpu.ctx.tuning = { ...saved, rows };
      const x = randomArray(N, 1, 4), y = randomArray(N, 2), dce = randomArray(R, 3);
      const targets = Uint32Array.from({ length: R }, (_, i) => (i * 13) % V);
      const coef = Float32Array.from([0.5, -1, 2, 0.25, 0, 3]), gamma = Float32Array.from([0.3, 0.8]);
      const run = async () => {
        const g = gpu, o = g.ops;
        const tx = f32(g, x), ty = f32(g, y), tdce = f32(g, dce), tc = f32(g, coef), tgam = f32(g, gamma);
        const tt = g.tensor(R, 'targets', 'u32');
        g.write(tt, targets);
        const outs = Array.from({ length: 9 }, () => g.tensor(N));
        const ce = g.tensor(R);
        o.softmax(outs[0], tx, R, V);
        o.logSoftmax(outs[1], tx, R, V);
        o.crossEntropy(ce, tx, tt, R, V);
        o.crossEntropyBackward(outs[2], tx, tt, tdce, R, V);
        o.axpby(outs[3], 0.5, tx, -2, ty, N);
        o.axpby(outs[4], 3, tx, 0, tx, N);
        o.fill(outs[5], 7, N - 5);
        o.gaussian(outs[6], N - 3, 42, 5);
        o.lincomb3({ out: outs[7], x: tx, y: ty, z: outs[0], c: tc }, N, L * V);
        o.flmNoising(outs[8], tx, tt, tgam, B, L, V);
        const res = await Promise.all([...outs, ce].map((t) => g.readU32(t)));
        for (const t of [tx, ty, tdce, tc, tgam, tt, ce, ...outs]) g.release(t);
        return res;
      };
      try {
        const whole = await limited(gpu, null, run);
        const split = await limited(gpu, limit, run);
        expectUnder(split.bindings, limit);
        expect(split.bindings.length).toBeGreaterThan(whole.bindings.length);
        whole.out.forEach((w, i) => expect([...split.out[i]], `output ${i}`).toEqual([...w]));
        // and the reference, for the noise (bit-exact twin) and the softmax
        const noise = new Float32Array(N);
        ref.gaussian(noise, N - 3, 42, 5);
        expect(maxRelL2(new Float32Array(split.out[6].buffer), noise)).toBeLessThan(1e-6);
        const sm = new Float32Array(N);
        ref.softmax(sm, x, R, V);
        expect(maxRelL2(new Float32Array(split.out[0].buffer), sm)).toBeLessThan(1e-6);
      } finally {
        gpu.ctx.tuning = saved;
      }
    });
  }

  it('an op without a chunked path refuses a binding above the limit with a typed error', async () => {
    const gpu = await gpuBackend();
    const x = gpu.tensor(4096), out = gpu.tensor(4096);
    setMaxBindingBytes(gpu.ctx, 4096);
    try {
      expect(() => gpu.ops.gelu(out, x, 4096, 'tanh')).toThrow(GpuBindingLimitError);
      expect(() => gpu.ops.gelu(out, x, 4096, 'tanh')).toThrow(/maxStorageBufferBindingSize of 4\.1 kB/);
    } finally {
      setMaxBindingBytes(gpu.ctx, null);
    }
  });
});

describe('pieced tensors and float16 weights', () => {
  it('store pieces in buffers of at most maxBufferSize; views, writes and reads convert', async () => {
    const gpu = await gpuBackend();
    const size = 1000;
    const data = randomArray(size, 9);
    const pieces = [{ offset: 0, size: 300 }, { offset: 320, size: 257, half: true }, { offset: 640, size: 360 }];
    gpu.ctx.bufferLimitOverride = 2400;
    let t: GpuPiecedTensor;
    try {
      t = gpu.pieced(size, pieces, 'w') as GpuPiecedTensor;
    } finally {
      gpu.ctx.bufferLimitOverride = null;
    }
    // 1200 B, then 516 B at 1280 (256-byte aligned); 1440 B at 2048 would pass 2400: a second buffer
    expect(t.buffers.map((b) => b.size)).toEqual([1808, 1440]);
    gpu.write(t, data);
    const back = await gpu.read(t);
    for (let i = 0; i < size; i++) {
      const p = pieces.find((q) => i >= q.offset && i < q.offset + q.size);
      const want = !p ? 0 : p.half ? roundToHalf(data[i]) : data[i];
      expect(back[i], `element ${i}`).toBe(Math.fround(want));
    }
    const v = gpu.view(t, 320, 257) as GpuTensor;
    expect(v.half).toBe(true);
    expect([...(await gpu.read(v))]).toEqual([...back.subarray(320, 577)]);
    expect(() => gpu.view(t, 0, 400)).toThrow(/inside one of its pieces/);
    const out = gpu.tensor(300);
    expect(() => gpu.ops.axpby(out, 1, t, 0, t, 300)).toThrow(/stored in pieces/);
    expect(() => gpu.ops.axpby(out, 1, v, 0, v, 257)).toThrow(/float16/);
    const live = gpu.ctx.liveBytes;
    gpu.release(t);
    expect(gpu.ctx.liveBytes).toBe(live - 1808 - 1440);
    gpu.release(out);
  });

  it('a buffer above maxBufferSize is a typed out-of-memory error naming the sizes', async () => {
    const gpu = await gpuBackend();
    gpu.ctx.bufferLimitOverride = 4096;
    try {
      expect(() => gpu.tensor(2000, 'logits')).toThrow(GpuOutOfMemoryError);
      expect(() => gpu.tensor(2000, 'logits')).toThrow(/logits needs 8\.0 kB in one buffer, above this device's maxBufferSize of 4\.1 kB/);
      expect(() => gpu.pieced(2000, [{ offset: 0, size: 2000 }], 'weights')).toThrow(/one piece of 8\.0 kB/);
    } finally {
      gpu.ctx.bufferLimitOverride = null;
    }
  });

  for (const variant of ['register', 'tiled'] as const) {
    for (const [M, N, K, transB, limit] of [[40, 70, 36, true, 0], [33, 50, 64, false, 0], [130, 300, 100, true, 24000], [130, 70, 300, false, 20000]] as const) {
      it(`${variant}: matmul with float16 B, M=${M} N=${N} K=${K} transB=${transB}${limit ? `, ${limit} floats per binding` : ''}`, async () => {
        const gpu = await gpuBackend();
        const saved = gpu.ctx.tuning;
        gpu.ctx.tuning = { ...saved, matmul: variant };
        try {
          const a = randomArray(M * K, 5), b = randomArray(K * N, 6), bias = randomArray(N, 7);
          const want = new Float32Array(M * N);
          ref.matmul(want, a, b.map(roundToHalf), { M, N, K, transB }, bias);
          const w = gpu.pieced(K * N + N, [{ offset: 0, size: K * N, half: true }], 'w');
          gpu.write(w, b);
          const tb = gpu.view(w, 0, K * N);
          const ta = f32(gpu, a), tbias = f32(gpu, bias), tout = gpu.tensor(M * N);
          const { bindings } = await limited(gpu, limit ? limit * 4 : null, async () => {
            matmul(gpu.ctx, tout, ta, tb, { M, N, K, transB }, tbias);
          });
          if (limit) expectUnder(bindings, limit * 4);
          expect(maxRelL2(await gpu.read(tout), want)).toBeLessThan(1e-5);
          for (const t of [w, ta, tbias, tout]) gpu.release(t);
        } finally {
          gpu.ctx.tuning = saved;
        }
      });
    }
  }
});
