/**
 * The worker in which `npm run bench:peers` trains with the studio's
 * trainer (as the Train view does, in its training worker): there the wasm
 * backend's pool may wait on its threads (Atomics.wait), which a page's main
 * thread may not. One request per worker: { config, kind, threads, budgetMs,
 * minTimed } → the row (bench/peersTrainStudio.ts).
 */
/// <reference lib="webworker" />
import { studioRow, type TrainConfigName } from './peersTrainStudio.ts';

export interface StudioTrainRequest { config: TrainConfigName; kind: 'cpu' | 'wasm' | 'webgpu'; threads: number; budgetMs: number; minTimed: number }

self.onmessage = async (e: MessageEvent<StudioTrainRequest>) => {
  const r = e.data;
  self.postMessage(await studioRow(r.config, r.kind, r.threads, r.budgetMs, r.minTimed));
};
