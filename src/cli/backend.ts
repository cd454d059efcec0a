/** Backend selection for Node entry points (CLI, bench). */
import type { Backend } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpuBackend.ts';
import { GpuBackend } from '../engine/webgpu/gpuBackend.ts';
import { nodeGpu } from '../engine/webgpu/nodeGpu.ts';

export type BackendName = 'cpu' | 'webgpu';

export async function createBackend(name: BackendName): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend();
  if (name === 'webgpu') return GpuBackend.create(await nodeGpu());
  throw new Error(`unknown backend "${name}" (use cpu or webgpu)`);
}
