/** The UI's handle on the training worker. */
import * as Comlink from 'comlink';
import type { TrainApi } from '../../workers/protocol.ts';

let api: Comlink.Remote<TrainApi> | null = null;

export function trainer(): Comlink.Remote<TrainApi> {
  if (!api) {
    const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
    api = Comlink.wrap<TrainApi>(worker);
  }
  return api;
}
