/**
 * The backend a worker computes on. 'auto': WebGPU wherever an adapter exists
 * (on a CPU-emulated adapter such as SwiftShader it runs micro about as fast
 * as the CPU reference: npm run bench:browser), else the CPU reference
 * backend, with a note saying why. One backend per choice per worker.
 */
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { WasmBackend } from '../src/engine/wasm/wasmBackend.ts';
import { GpuDeviceLostError } from '../src/engine/webgpu/errors.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { WorkerError, type BackendPreference } from './protocol.ts';

export interface ChosenBackend {
  backend: Backend;
  /** Said after the backend's description (an emulated adapter, a fallback). */
  note: string;
  /** Why the CPU backend computes although WebGPU was asked for (or auto); null otherwise. */
  fallbackReason: string | null;
}

const backends = new Map<BackendPreference, Promise<ChosenBackend>>();

export function backendFor(choice: BackendPreference = 'auto'): Promise<ChosenBackend> {
  let p = backends.get(choice);
  if (!p) {
    p = (async () => {
      if (choice === 'cpu') return { backend: new CpuBackend(), note: '', fallbackReason: null };
      // WebAssembly SIMD on one thread (a thread pool in the page needs cross-origin isolation).
      if (choice === 'wasm') return { backend: await WasmBackend.create(), note: '', fallbackReason: null };
      try {
        const gpu = await GpuBackend.create();
        return { backend: gpu, note: gpu.summary.isFallbackAdapter ? ' (a CPU emulation of WebGPU: no GPU was found)' : '', fallbackReason: null };
      } catch (e) {
        const why = (e as Error).message;
        return { backend: new CpuBackend(), note: ` (WebGPU unavailable: ${why})`, fallbackReason: why };
      }
    })();
    backends.set(choice, p);
  }
  return p;
}

/**
 * Whether `e` (thrown by a step, a read or a save) comes from a lost device.
 * A read on a destroyed device fails before `device.lost` settles, so wait
 * briefly for it.
 */
export async function deviceLoss(b: Backend, e: unknown): Promise<GpuDeviceLostError | null> {
  if (e instanceof GpuDeviceLostError) return e;
  if (!(b instanceof GpuBackend)) return null;
  const info = await Promise.race([b.handle.device.lost, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  return info ? new GpuDeviceLostError(`The GPU device was lost (${info.reason || 'unknown'}): ${info.message}`, String(info.reason)) : null;
}

/** Drop a backend whose device was lost, so that the next request creates a fresh one. */
export function forgetBackend(choice: BackendPreference): void {
  backends.delete(choice);
}

/** Fault injection: destroy the device of a WebGPU backend (the reliability tests' lost device). */
export function destroyDevice(b: Backend | undefined): void {
  if (!(b instanceof GpuBackend)) throw new WorkerError('no-run', 'device loss needs the WebGPU backend');
  b.handle.device.destroy();
}

/**
 * A static file of the studio (public/), from inside a worker. With the
 * relative base ('./') BASE_URL resolves against the worker script, which
 * sits one folder below the studio's root (assets/ in a build, workers/ in
 * dev); '../' climbs back (and stays at '/' when BASE_URL is absolute).
 */
export function publicUrl(path: string): string {
  return new URL(`../${path}`, new URL(import.meta.env.BASE_URL, self.location.href)).href;
}
