/**
 * The UI's handles on sampling workers: one per view that samples (the
 * Sample view's and the Demo's), so that each keeps its own model loaded.
 */
import * as Comlink from 'comlink';
import type { SampleApi } from '../../workers/protocol.ts';

const apis = new Map<string, Comlink.Remote<SampleApi>>();

export function sampler(name: 'sample' | 'demo' = 'sample'): Comlink.Remote<SampleApi> {
  let api = apis.get(name);
  if (!api) {
    const worker = new Worker(new URL('../../workers/sample.worker.ts', import.meta.url), { type: 'module', name });
    api = Comlink.wrap<SampleApi>(worker);
    apis.set(name, api);
  }
  return api;
}
