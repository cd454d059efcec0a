import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { nodeGpu } from '../src/engine/webgpu/nodeGpu.ts';

let backend: Promise<GpuBackend> | null = null;

/** One WebGPU backend (Dawn in Node, SwiftShader on CPU-only machines) per test file. */
export function gpuBackend(): Promise<GpuBackend> {
  backend ??= nodeGpu().then((gpu) => GpuBackend.create(gpu));
  return backend;
}
