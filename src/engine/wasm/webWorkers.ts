/**
 * Worker threads for the wasm backend's pool in a browser: the pool's
 * self-contained script (pool.ts) started from a blob URL, so that it needs
 * no file of its own in the build. Threads need a cross-origin isolated page
 * (SharedArrayBuffer); see `webThreads`.
 */
import type { SpawnWorker } from './pool.ts';

export const webSpawn: SpawnWorker = (source) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { name: 'flm-wasm-pool' });
  // The worker has fetched its script once it answers; the URL is not needed after that.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return worker;
};

/** The most threads the studio starts (the bits are the same for any count). */
export const MAX_WEB_THREADS = 8;

/**
 * Threads for the wasm backend here: one per core (at most MAX_WEB_THREADS)
 * where the page is cross-origin isolated, else one, with the reason.
 */
export function webThreads(): { threads: number; why: string | null } {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (!g.crossOriginIsolated) return { threads: 1, why: 'one thread: this page is not cross-origin isolated, so it has no shared memory' };
  const cores = Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  return { threads: Math.min(MAX_WEB_THREADS, cores), why: null };
}
