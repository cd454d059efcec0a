/** Backend selection for Node entry points (CLI, bench). */
import { availableParallelism } from 'node:os';
import type { Backend, BackendName } from '../engine/backend.ts';
import { BACKEND_CHOICES, chooseAuto, isBackendChoice, type BackendChoice } from '../engine/choose.ts';
import { CpuBackend } from '../engine/cpu/cpuBackend.ts';
import { nodeSpawn } from '../engine/wasm/nodeWorkers.ts';
import { WasmBackend } from '../engine/wasm/wasmBackend.ts';
import { GpuUnavailableError } from '../engine/webgpu/errors.ts';
import { GpuBackend } from '../engine/webgpu/gpuBackend.ts';
import { nodeGpu } from '../engine/webgpu/nodeGpu.ts';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'webgpu', 'wasm'];
export { BACKEND_CHOICES, isBackendChoice };
export type { BackendChoice, BackendName };

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_NAMES as readonly string[]).includes(s);
}

/** The most wasm threads the CLI starts by default (the bits are the same for any count). */
export const MAX_DEFAULT_THREADS = 8;

export interface BackendOptions {
  /** wasm: threads, the caller's included (default: one per core, at most MAX_DEFAULT_THREADS). */
  threads?: number;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableParallelism()));
}

/** WebGPU through Dawn; a Vulkan loader that cannot start is "no WebGPU" too. */
async function webgpu(): Promise<GpuBackend> {
  let gpu: GPU;
  try {
    gpu = await nodeGpu();
  } catch (e) {
    throw new GpuUnavailableError(`WebGPU could not start in Node (${(e as Error).message})`);
  }
  return GpuBackend.create(gpu);
}

/**
 * The backend asked for. `auto` (the CLI's default): WebGPU on a real GPU,
 * else the WebAssembly backend (see src/engine/choose.ts); the reason is
 * given to `onChoice` so that the command can say it.
 */
export async function createBackend(choice: BackendChoice, opts: BackendOptions = {}, onChoice?: (why: string) => void): Promise<Backend> {
  const wasm = () => WasmBackend.create({ threads: opts.threads ?? defaultThreads(), spawn: nodeSpawn });
  if (choice === 'cpu') return new CpuBackend();
  if (choice === 'webgpu') return webgpu();
  if (choice === 'wasm') return wasm();
  if (choice === 'auto') {
    const { backend, notWebGpu } = await chooseAuto({ webgpu, wasm });
    if (notWebGpu) onChoice?.(`backend auto: WebAssembly, since ${notWebGpu}`);
    return backend;
  }
  throw new Error(`unknown backend "${String(choice)}" (use ${BACKEND_CHOICES.join(', ')})`);
}
