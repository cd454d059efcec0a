import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/engine/kernels/matmul.ts';
import { GpuDeviceLostError, GpuValidationError } from '../../src/engine/webgpu/errors.ts';
import { GpuBackend } from '../../src/engine/webgpu/gpuBackend.ts';
import { Shader } from '../../src/engine/kernels/kernel.ts';
import { grid, packUniforms } from '../../src/engine/webgpu/context.ts';
import { nodeGpu } from '../../src/engine/webgpu/nodeGpu.ts';
import { gpuBackend } from '../gpu.ts';

describe('WebGPU engine context', () => {
  it('reports the adapter and the limits it asked for', async () => {
    const b = await gpuBackend();
    expect(b.summary.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    expect(b.summary.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(b.description.length).toBeGreaterThan(0);
  });

  it('surfaces a WGSL compilation error as a typed GpuValidationError', async () => {
    const b = await GpuBackend.create(await nodeGpu());
    const bad = new Shader('broken', '@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n' +
      '@compute @workgroup_size(1) fn broken_main() { let x: u32 = 1.5; out[0] = f32(x); }').entry('broken_main', ['out']);
    const t = b.tensor(4);
    b.ctx.dispatch(bad, {}, { out: t }, null, [1, 1, 1]);
    await expect(b.sync()).rejects.toBeInstanceOf(GpuValidationError);
    b.destroy();
  });

  it('surfaces device loss as GpuDeviceLostError on the next use', async () => {
    const b = await GpuBackend.create(await nodeGpu());
    const t = b.tensor(16);
    let notified: GpuDeviceLostError | null = null;
    b.ctx.onLost = (e) => { notified = e; };
    b.handle.device.destroy();
    await b.handle.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(notified).toBeInstanceOf(GpuDeviceLostError);
    expect(() => b.write(t, new Float32Array(16))).toThrow(GpuDeviceLostError);
    await expect(b.read(t)).rejects.toBeInstanceOf(GpuDeviceLostError);
  });

  it('caches pipelines and replays a compiled program without creating new ones', async () => {
    const b = await gpuBackend();
    const n = 8, A = b.tensor(n * n), B = b.tensor(n * n), C = b.tensor(n * n);
    b.write(A, new Float32Array(n * n).fill(1));
    b.write(B, new Float32Array(n * n).fill(2));
    const prog = b.compile(() => {
      matmul(b.ctx, C, A, B, { M: n, N: n, K: n });
      matmul(b.ctx, C, A, B, { M: n, N: n, K: n, accumulate: true });
    });
    const pipelines = b.ctx.pipelineCount, live = b.ctx.liveBuffers;
    for (let i = 0; i < 5; i++) prog.run();
    expect(b.ctx.pipelineCount).toBe(pipelines);
    expect(b.ctx.liveBuffers).toBe(live);
    const out = await b.read(C);
    expect(out[0]).toBe(2 * 2 * n);
  });

  it('reuses released buffers from the pool, zero-filled', async () => {
    const b = await gpuBackend();
    const t = b.tensor(100);
    b.write(t, new Float32Array(100).fill(3));
    const buffer = (t as unknown as { buffer: GPUBuffer }).buffer;
    b.release(t);
    const u = b.tensor(100);
    expect((u as unknown as { buffer: GPUBuffer }).buffer).toBe(buffer);
    expect([...(await b.read(u))].every((v) => v === 0)).toBe(true);
  });

  it('views must be aligned and inside their tensor', async () => {
    const b = await gpuBackend();
    const t = b.tensor(256);
    expect(() => b.view(t, 3, 10)).toThrow(/multiple of 64/);
    expect(() => b.view(t, 192, 100)).toThrow(/outside/);
    const v = b.view(t, 64, 64);
    b.write(v, new Float32Array(64).fill(5));
    const all = await b.read(t);
    expect(all[63]).toBe(0);
    expect(all[64]).toBe(5);
    expect(all[128]).toBe(0);
  });

  it('grid() and packUniforms()', () => {
    expect(grid(10)).toEqual([10, 1, 1]);
    const [x, y] = grid(200_000);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(200_000);
    const u = packUniforms([1, 2], [0.5]);
    const dv = new DataView(u.buffer);
    expect(dv.getUint32(4, true)).toBe(2);
    expect(dv.getFloat32(8, true)).toBe(0.5);
    expect(u.byteLength % 16).toBe(0);
  });
});

describe('dynamic uniforms in compiled programs', () => {
  it('re-reads a uniform source at every run', async () => {
    const b = await gpuBackend();
    const n = 4, A = b.tensor(n * n), B = b.tensor(n * n), C = b.tensor(n * n);
    b.write(A, new Float32Array(n * n).fill(1));
    b.write(B, new Float32Array(n * n).fill(1));
    let k = 1;
    // K read from a closure: the same program computes with K = 1, then K = 3.
    const { default: source } = await import('../../shaders/matmul.wgsl?raw');
    const MM = new Shader('matmul', source).entry('matmul_forward', ['A', 'B', 'bias', 'C']);
    const prog = b.compile(() => b.ctx.dispatch(MM, { TRANS_A: 0, TRANS_B: 0, HAS_BIAS: 0, ACCUMULATE: 0 }, { A, B, bias: A, C }, () => packUniforms([n, n, k]), [1, 1, 1]));
    prog.run();
    expect((await b.read(C))[0]).toBe(1);
    k = 3;
    prog.run();
    expect((await b.read(C))[0]).toBe(3);
  });
});
