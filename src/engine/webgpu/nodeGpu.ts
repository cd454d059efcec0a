/**
 * WebGPU in Node through Dawn's bindings (the `webgpu` npm package). Only
 * Node entry points (CLI, bench, tests) import this file.
 */
import { existsSync, readdirSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: GPU | null = null;

/** Drivers of real GPUs installed where the Vulkan loader looks (NVIDIA, AMD, Intel; not Mesa's lavapipe). */
function gpuIcds(): string[] {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((d) => { try { return readdirSync(d); } catch { return []; } })
    .filter((f) => f.endsWith('.json') && !/lvp|lavapipe|llvmpipe|swiftshader/i.test(f));
}

/**
 * The Node `GPU` object. Where no Vulkan driver of a real GPU is installed and
 * none is configured, Vulkan uses Chromium's SwiftShader (a CPU emulation);
 * a GPU's driver is left to the Vulkan loader.
 */
export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && gpuIcds().length === 0 && existsSync(SWIFTSHADER_ICD)) {
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
