/**
 * The UI's handles on its workers (the UI never touches the GPU or IndexedDB
 * itself): one generic factory; each worker starts on first use.
 */
import * as Comlink from 'comlink';
import { registerWorkerErrors, type CheckpointApi, type EngineApi, type EvalApi, type SampleApi, type TrainApi } from '../../workers/protocol.ts';

/** A worker's API, the worker created by `start` on the first call (its errors arrive as WorkerErrors). */
export function workerClient<T>(start: () => Worker): () => Comlink.Remote<T> {
  let api: Comlink.Remote<T> | null = null;
  return () => {
    if (!api) {
      registerWorkerErrors();
      api = Comlink.wrap<T>(start());
    }
    return api;
  };
}

// Each `new Worker(new URL(…, import.meta.url))` is written out in full: that is how the bundler finds the worker's module.
export const trainer = workerClient<TrainApi>(() => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }));
export const checkpoints = workerClient<CheckpointApi>(() => new Worker(new URL('../../workers/checkpoints.worker.ts', import.meta.url), { type: 'module', name: 'checkpoints' }));
export const engine = workerClient<EngineApi>(() => new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' }));
export const evaluator = workerClient<EvalApi>(() => new Worker(new URL('../../workers/eval.worker.ts', import.meta.url), { type: 'module', name: 'eval' }));

/** The Sample view's and the Demo's sampling workers: each keeps its own model loaded. */
const samplers = {
  sample: workerClient<SampleApi>(() => new Worker(new URL('../../workers/sample.worker.ts', import.meta.url), { type: 'module', name: 'sample' })),
  demo: workerClient<SampleApi>(() => new Worker(new URL('../../workers/sample.worker.ts', import.meta.url), { type: 'module', name: 'demo' })),
};
export const sampler = (name: keyof typeof samplers = 'sample'): Comlink.Remote<SampleApi> => samplers[name]();
