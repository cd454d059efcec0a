import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { chooseAuto } from '../../src/engine/choose.ts';
import { isCpuEmulated, type AdapterSummary } from '../../src/engine/webgpu/device.ts';
import { GpuUnavailableError } from '../../src/engine/webgpu/errors.ts';
import type { GpuBackend } from '../../src/engine/webgpu/gpuBackend.ts';

const adapter = (a: Partial<AdapterSummary>): AdapterSummary => ({
  vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, features: [], limits: {}, adapterLimits: {}, ...a,
});

/** A stand-in that has only what chooseAuto reads of a GpuBackend (its adapter, and destroy). */
function fakeGpu(summary: AdapterSummary) {
  const gpu = { summary, destroyed: false, destroy() { gpu.destroyed = true; } };
  return gpu;
}

describe('the automatic backend choice', () => {
  it('tells CPU emulations of WebGPU from GPUs', () => {
    expect(isCpuEmulated(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }))).toBe(false);
    expect(isCpuEmulated(adapter({ vendor: 'apple', architecture: 'metal-3' }))).toBe(false);
    expect(isCpuEmulated(adapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero' }))).toBe(true);
    expect(isCpuEmulated(adapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isCpuEmulated(adapter({ vendor: 'unknown', isFallbackAdapter: true }))).toBe(true);
  });

  it('keeps WebGPU on a GPU, takes wasm on an emulated adapter (destroying its device) or without WebGPU', async () => {
    const cpu = new CpuBackend(); // stands for the wasm backend: chooseAuto only passes it on
    const real = fakeGpu(adapter({ vendor: 'nvidia', description: 'NVIDIA H200' }));
    const onGpu = await chooseAuto({ webgpu: async () => real as unknown as GpuBackend, wasm: async () => cpu });
    expect(onGpu).toEqual({ backend: real, notWebGpu: null });
    expect(real.destroyed).toBe(false);

    const swift = fakeGpu(adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }));
    const emulated = await chooseAuto({ webgpu: async () => swift as unknown as GpuBackend, wasm: async () => cpu });
    expect(emulated.backend).toBe(cpu);
    expect(emulated.notWebGpu).toMatch(/^the WebGPU adapter \(google swiftshader \(fallback adapter\)\) emulates a GPU on the CPU$/);
    expect(swift.destroyed).toBe(true);

    const none = await chooseAuto({ webgpu: () => Promise.reject(new GpuUnavailableError('No WebGPU adapter was found')), wasm: async () => cpu });
    expect(none).toEqual({ backend: cpu, notWebGpu: 'No WebGPU adapter was found' });

    // Anything else is a bug, not a missing GPU: it is not hidden behind a fallback.
    await expect(chooseAuto({ webgpu: () => Promise.reject(new TypeError('boom')), wasm: async () => cpu })).rejects.toThrow('boom');
  });
});
