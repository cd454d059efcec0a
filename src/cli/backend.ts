/** Backend selection for Node entry points (CLI, bench). */
import type { Backend, BackendName } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpuBackend.ts';
import { nodeSpawn } from '../engine/wasm/nodeWorkers.ts';
import { WasmBackend } from '../engine/wasm/wasmBackend.ts';
import { GpuBackend } from '../engine/webgpu/gpuBackend.ts';
import { nodeGpu } from '../engine/webgpu/nodeGpu.ts';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'webgpu', 'wasm'];
export type { BackendName };

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_NAMES as readonly string[]).includes(s);
}

export interface BackendOptions {
  /** wasm: worker threads (default 1; the results are the same bits for any count). */
  threads?: number;
}

export async function createBackend(name: BackendName, opts: BackendOptions = {}): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend();
  if (name === 'webgpu') return GpuBackend.create(await nodeGpu());
  if (name === 'wasm') return WasmBackend.create({ threads: opts.threads ?? 1, spawn: nodeSpawn });
  throw new Error(`unknown backend "${name}" (use ${BACKEND_NAMES.join(', ')})`);
}
