/**
 * The backend a worker computes on. 'auto' (the studio's default): WebGPU on a
 * real GPU; the WebAssembly backend where WebGPU is missing or its adapter is
 * a CPU emulation (SwiftShader, lavapipe), on one thread per core when the
 * page is cross-origin isolated (src/engine/choose.ts). An explicit 'webgpu'
 * that cannot start falls back to wasm too, with a notice. The CPU reference
 * runs only when asked for. One backend per choice per worker.
 */
import type { Backend } from '../src/engine/backend.ts';
import { chooseAuto } from '../src/engine/choose.ts';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { WasmBackend } from '../src/engine/wasm/wasmBackend.ts';
import { webSpawn, webThreads } from '../src/engine/wasm/webWorkers.ts';
import { GpuDeviceLostError } from '../src/engine/webgpu/errors.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { WorkerError, type BackendPreference } from './protocol.ts';

export interface ChosenBackend {
  backend: Backend;
  /** Said after the backend's description (an emulated adapter, the wasm threads). */
  note: string;
  /** Why WebGPU does not compute although it was asked for, or auto chose; null when it does, or was not asked for. */
  fallbackReason: string | null;
}

const backends = new Map<BackendPreference, Promise<ChosenBackend>>();

async function wasm(): Promise<{ backend: WasmBackend; note: string }> {
  const { threads, why } = webThreads();
  const backend = await WasmBackend.create({ threads, spawn: threads > 1 ? webSpawn : undefined });
  return { backend, note: why ? ` (${why})` : '' };
}

async function choose(choice: BackendPreference): Promise<ChosenBackend> {
  if (choice === 'cpu') return { backend: new CpuBackend(), note: '', fallbackReason: null };
  if (choice === 'wasm') return { ...(await wasm()), fallbackReason: null };
  if (choice === 'auto') {
    let note = '';
    const { backend, notWebGpu } = await chooseAuto({
      webgpu: () => GpuBackend.create(),
      wasm: async () => { const w = await wasm(); note = w.note; return w.backend; },
    });
    return { backend, note, fallbackReason: notWebGpu };
  }
  try {
    const gpu = await GpuBackend.create();
    return { backend: gpu, note: gpu.summary.isFallbackAdapter ? ' (a CPU emulation of WebGPU: no GPU was found)' : '', fallbackReason: null };
  } catch (e) {
    return { ...(await wasm()), fallbackReason: (e as Error).message };
  }
}

/** Backends whose GPU device is gone (destroyed or lost): never handed out again. */
const dead = new WeakSet<Backend>();

function watch(c: ChosenBackend): ChosenBackend {
  if (c.backend instanceof GpuBackend) void c.backend.handle.device.lost.then(() => dead.add(c.backend));
  return c;
}

/**
 * The backend of `choice`, made once per worker; a WebGPU backend whose
 * device was lost is replaced by a fresh one (a run that stopped after its
 * last recovery leaves a dead device behind, and Resume must not get it).
 */
export async function backendFor(choice: BackendPreference = 'auto'): Promise<ChosenBackend> {
  const cached = backends.get(choice);
  if (cached) {
    const c = await cached.catch(() => null);
    if (c && !dead.has(c.backend)) return c;
    if (backends.get(choice) === cached) backends.delete(choice);
  }
  let p = backends.get(choice);
  if (!p) {
    p = choose(choice).then(watch);
    backends.set(choice, p);
    p.catch(() => backends.delete(choice));
  }
  return p;
}

/**
 * Whether `e` (thrown by a step, a read or a save) comes from a lost device.
 * A read on a destroyed device fails before `device.lost` settles, so wait
 * for it briefly. An error that only a dead device gives (a pending read
 * whose buffer went away) counts as a loss even when `device.lost` has not
 * said so yet: recovering from the last checkpoint is safe either way.
 */
export async function deviceLoss(b: Backend, e: unknown): Promise<GpuDeviceLostError | null> {
  if (e instanceof GpuDeviceLostError) return e;
  if (!(b instanceof GpuBackend)) return null;
  const message = e instanceof Error ? e.message : String(e);
  const deadLike = /unmapped before mapping|device (is |was )?lost|destroyed/i.test(message);
  const info = await Promise.race([b.handle.device.lost, new Promise<null>((r) => setTimeout(() => r(null), deadLike ? 5000 : 2000))]);
  if (info) return new GpuDeviceLostError(`The GPU device was lost (${info.reason || 'unknown'}): ${info.message}`, String(info.reason));
  return deadLike ? new GpuDeviceLostError(`The GPU device was lost (it stopped answering): ${message}`, 'unknown') : null;
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
