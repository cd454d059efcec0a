/** The UI's handle on the sampling worker. */
import * as Comlink from 'comlink';
import type { SampleApi } from '../../workers/protocol.ts';

let api: Comlink.Remote<SampleApi> | null = null;

export function sampler(): Comlink.Remote<SampleApi> {
  if (!api) {
    const worker = new Worker(new URL('../../workers/sample.worker.ts', import.meta.url), { type: 'module', name: 'sample' });
    api = Comlink.wrap<SampleApi>(worker);
  }
  return api;
}
