/**
 * Worker threads for the wasm backend's pool in Node. Only Node entry points
 * (CLI, bench, tests) import this file: `WasmBackend.create({ threads, spawn: nodeSpawn })`.
 */
import { Worker } from 'node:worker_threads';
import type { SpawnWorker } from './pool.ts';

export const nodeSpawn: SpawnWorker = (source) => {
  const w = new Worker(source, { eval: true });
  w.unref(); // an idle pool does not keep Node alive
  return w;
};
