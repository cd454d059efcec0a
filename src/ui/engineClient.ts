/** The UI's handle on the engine worker (the UI never touches the GPU itself). */
import * as Comlink from 'comlink';
import type { EngineApi } from '../../workers/protocol.ts';

let api: Comlink.Remote<EngineApi> | null = null;

export function engine(): Comlink.Remote<EngineApi> {
  if (!api) {
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    api = Comlink.wrap<EngineApi>(worker);
  }
  return api;
}
