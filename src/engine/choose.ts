/**
 * The automatic choice of backend, one rule for the studio's workers and the
 * command line: WebGPU on a real GPU; the WebAssembly backend where WebGPU is
 * missing or its adapter is a CPU emulation (SwiftShader, lavapipe), where
 * WebAssembly SIMD is many times faster. The TypeScript reference backend is
 * the oracle and is never chosen automatically.
 *
 * The platform's parts (Node's `GPU` object, the way to start worker threads)
 * stay with the caller, as the two factories.
 */
import type { Backend, BackendName } from './backend.ts';
import { describeAdapter, isCpuEmulated } from './webgpu/device.ts';
import { GpuUnavailableError } from './webgpu/errors.ts';
import type { GpuBackend } from './webgpu/gpuBackend.ts';

/** What a user may ask for: a backend by name, or the automatic choice. */
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export function isBackendChoice(s: unknown): s is BackendChoice {
  return typeof s === 'string' && (BACKEND_CHOICES as readonly string[]).includes(s);
}

export interface AutoChoice<B extends Backend> {
  backend: B | GpuBackend;
  /** Why WebGPU does not compute (missing, or emulated on the CPU); null when it does. */
  notWebGpu: string | null;
}

/**
 * WebGPU if an adapter exists and is a real GPU, else `wasm()`. A device made
 * only to look at an emulated adapter is destroyed again.
 */
export async function chooseAuto<B extends Backend>(make: { webgpu(): Promise<GpuBackend>; wasm(): Promise<B> }): Promise<AutoChoice<B>> {
  let gpu: GpuBackend;
  try {
    gpu = await make.webgpu();
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    return { backend: await make.wasm(), notWebGpu: e.message };
  }
  if (!isCpuEmulated(gpu.summary)) return { backend: gpu, notWebGpu: null };
  const adapter = describeAdapter(gpu.summary);
  gpu.destroy();
  return { backend: await make.wasm(), notWebGpu: `the WebGPU adapter (${adapter}) emulates a GPU on the CPU` };
}
