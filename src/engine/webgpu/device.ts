/**
 * Adapter and device acquisition, the same in a page, a worker and Node
 * (where the caller passes the `GPU` object from the `webgpu` package, see
 * `nodeGpu.ts`, so that browser bundles never import Node code).
 */
import { GpuUnavailableError } from './errors.ts';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

export interface GpuHandle {
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
}

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

export function summarizeAdapter(adapter: GPUAdapter, device?: GPUDevice): AdapterSummary {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  const src = device?.limits ?? adapter.limits;
  for (const k of WANTED_LIMITS) limits[k] = Number((src as unknown as Record<string, number>)[k]);
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
  };
}

export function describeAdapter(s: AdapterSummary): string {
  const name = [s.vendor, s.architecture, s.device, s.description].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${s.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
}

/** Find an adapter and ask for a device with the limits the kernels use. */
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
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'flm-studio' });
  } catch (e) {
    throw new GpuUnavailableError(`requestDevice failed: ${(e as Error).message}`);
  }
  return { adapter, device, summary: summarizeAdapter(adapter, device) };
}
