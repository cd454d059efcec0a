/**
 * WebGPU in Node through Dawn's bindings (the `webgpu` npm package). Only
 * Node entry points (CLI, bench, tests) import this file.
 */
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: GPU | null = null;

/** The Node `GPU` object; defaults Vulkan to SwiftShader when no ICD is configured. */
export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  cached = create([]) as unknown as GPU;
  return cached;
}

/** Drop the reference so Node can exit (Dawn keeps the loop alive otherwise). */
export function releaseNodeGpu(): void {
  cached = null;
}
