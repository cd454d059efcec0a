/**
 * Binding by name on a device (test/kernels/bindings.test.ts checks the
 * parsing and the kernel definitions without one): tensors reach the WGSL
 * variables they are named for, whatever the order of the record and of the
 * binding indices, and a wrong set of names, an unknown entry point or a
 * float16 tensor on a binding not marked half are refused before anything
 * is compiled or recorded.
 */
import { describe, expect, it } from 'vitest';
import { Shader } from '../../src/engine/kernels/kernel.ts';
import { packUniforms } from '../../src/engine/webgpu/context.ts';
import { gpuBackend } from '../gpu.ts';

// Indices out of declaration order and with gaps; two entry points share index 2.
const PROBE = new Shader('probe', `
struct Params { n: u32, s: f32 }
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn probe_combine(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < p.n) { out[id.x] = a[id.x] - p.s * b[id.x]; }
}

@compute @workgroup_size(64)
fn probe_fill(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < p.n) { dst[id.x] = p.s; }
}`);
const COMBINE = PROBE.entry('probe_combine', ['a', 'b', 'out']);
const FILL = PROBE.entry('probe_fill', ['dst']);

describe('dispatch by name on a device', () => {
  it('binds each tensor to the variable it is named for', async () => {
    const gpu = await gpuBackend();
    const n = 70;
    const a = Float32Array.from({ length: n }, (_, i) => i);
    const b = Float32Array.from({ length: n }, (_, i) => 1000 + 3 * i);
    const ta = gpu.tensor(n), tb = gpu.tensor(n), out = gpu.tensor(n), filled = gpu.tensor(n);
    gpu.write(ta, a);
    gpu.write(tb, b);
    // The record's order is not the binding order.
    gpu.ctx.dispatch(COMBINE, {}, { out, b: tb, a: ta }, packUniforms([n], [0.5]), [2, 1, 1]);
    gpu.ctx.dispatch(FILL, {}, { dst: filled }, packUniforms([n], [-2]), [2, 1, 1]);
    expect([...await gpu.read(out)]).toEqual([...a].map((x, i) => x - 0.5 * b[i]));
    expect([...await gpu.read(filled)]).toEqual(new Array(n).fill(-2));
    for (const t of [ta, tb, out, filled]) gpu.release(t);
  });

  it('refuses missing and extra tensors, an unknown entry point and float16 on a binding not marked half, before compiling', async () => {
    const gpu = await gpuBackend();
    const t = gpu.tensor(64), u = gpu.tensor(64);
    const pipelines = gpu.ctx.pipelineCount;
    const uniforms = packUniforms([64], [1]);
    expect(() => gpu.ctx.dispatch(COMBINE, {}, { a: t, out: u }, uniforms, [1, 1, 1])).toThrow(
      'probe.wgsl, entry point probe_combine: no tensor for b (it binds a, b, out)');
    expect(() => gpu.ctx.dispatch(COMBINE, {}, { a: t, b: t, out: u, dst: u }, uniforms, [1, 1, 1])).toThrow(
      'probe.wgsl, entry point probe_combine: tensors for dst, which it does not bind (it binds a, b, out)');
    expect(() => gpu.ctx.dispatch(PROBE.entry('probe_mix', ['a', 'b', 'out']), {}, { a: t, b: t, out: u }, uniforms, [1, 1, 1])).toThrow(
      'probe.wgsl has no compute entry point probe_mix; its entry points are probe_combine, probe_fill');
    expect(gpu.ctx.pipelineCount).toBe(pipelines);
    const w = gpu.pieced(128, [{ offset: 0, size: 128, half: true }], 'w');
    expect(() => gpu.ctx.dispatch(COMBINE, {}, { a: gpu.view(w, 0, 64), b: t, out: u }, uniforms, [1, 1, 1])).toThrow(
      'probe_combine: w[0:] holds float16 values; only the matmul kernels read float16 (as their weights operand)');
    await gpu.sync();
    for (const x of [t, u, w]) gpu.release(x);
  });
});
