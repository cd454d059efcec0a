/**
 * Adapter and device acquisition, the same in a page, a worker and Node
 * (where the caller passes the `GPU` object from the `webgpu` package, see
 * `nodeGpu.ts`, so that browser bundles never import Node code).
 */
import { formatBytes, GpuUnavailableError } from './errors.ts';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  /** The limits the device was granted (what the engine works with). */
  limits: Record<string, number>;
  /** The adapter's own limits: the most the device could have asked for. */
  adapterLimits: Record<string, number>;
}

export interface GpuHandle {
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
}

/**
 * The limits the engine asks for at the adapter's maximum. The defaults
 * (128 MiB per storage binding, 256 MiB per buffer, 16 KiB of workgroup
 * memory) are far below what most adapters offer, and a model of the
 * paper's size needs more: its weights alone are 680 MB in float32.
 */
const WANTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Alignments: the engine's views are 256-byte aligned, which satisfies any adapter (the spec caps these at 256). */
const REPORTED_LIMITS = [...WANTED_LIMITS, 'minStorageBufferOffsetAlignment', 'maxUniformBufferBindingSize'] as const;

function pick(src: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of REPORTED_LIMITS) out[k] = Number((src as unknown as Record<string, number>)[k]);
  return out;
}

export function summarizeAdapter(adapter: GPUAdapter, device?: GPUDevice): AdapterSummary {
  const info = adapter.info;
  const limits = pick(device?.limits ?? adapter.limits);
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    // isFallbackAdapter moved from the adapter to its info in newer specs.
    isFallbackAdapter: Boolean((info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter ??
      (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].map(String).sort(),
    limits,
    adapterLimits: pick(adapter.limits),
  };
}

/**
 * Whether the adapter is WebGPU emulated on the CPU (SwiftShader in Chrome,
 * lavapipe/llvmpipe under Mesa): the flag where the browser sets it, else
 * the names these emulators report.
 */
export function isCpuEmulated(s: AdapterSummary): boolean {
  return s.isFallbackAdapter || /swiftshader|lavapipe|llvmpipe|software/i.test([s.vendor, s.architecture, s.device, s.description].join(' '));
}

/** The limits that decide how large a model fits, for people (e.g. in an out-of-memory message). */
export function describeLimits(limits: Record<string, number>): string {
  return `maxBufferSize ${formatBytes(limits.maxBufferSize)}, maxStorageBufferBindingSize ${formatBytes(limits.maxStorageBufferBindingSize)}`;
}

export function describeAdapter(s: AdapterSummary): string {
  const name = [s.vendor, s.architecture, s.device, s.description].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${s.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
}

/** Find an adapter and ask for a device with the adapter's largest buffer and binding limits. */
export async function acquireGpu(gpu?: GPU, powerPreference: GPUPowerPreference = 'high-performance'): Promise<GpuHandle> {
  const g = gpu ?? (typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: GPU }).gpu : undefined);
  if (!g) throw new GpuUnavailableError('WebGPU is not available here (no navigator.gpu). Use a recent Chrome or Edge, or the CPU backend.');
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await g.requestAdapter({ powerPreference });
  } catch (e) {
    throw new GpuUnavailableError(`requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new GpuUnavailableError('No WebGPU adapter was found (the browser may block this GPU, or needs --enable-unsafe-webgpu on a CPU-only machine).');
  const requiredLimits: Record<string, number> = {};
  const al = adapter.limits as unknown as Record<string, number>;
  for (const k of WANTED_LIMITS) requiredLimits[k] = al[k];
  requiredLimits.maxStorageBuffersPerShaderStage = Math.min(al.maxStorageBuffersPerShaderStage, 10);
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // Reported only: float16 weights are stored as packed pairs and widened with
  // unpack2x16float (core WGSL), so they work without this feature too.
  if (adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'flm-studio' });
  } catch (e) {
    throw new GpuUnavailableError(`requestDevice failed: ${(e as Error).message}`);
  }
  return { adapter, device, summary: summarizeAdapter(adapter, device) };
}
