/// <reference lib="webworker" />
/** The checkpoints stored in this browser (IndexedDB): list, rename, delete, export and import. */
import * as Comlink from 'comlink';
import { decodeCheckpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore, idbKeyValue, type KeyValue } from '../src/io/checkpointStore.ts';
import { exposeApi } from './expose.ts';
import type { CheckpointApi, CheckpointTestApi, SavePhase } from './protocol.ts';

const store = new CheckpointStore();

const api: CheckpointApi = {
  list: () => store.list(),
  rename: (id, name) => store.rename(id, name),
  remove: (id) => store.delete(id),
  async exportFile(id) {
    const copy = (await store.load(id)).slice().buffer;
    return Comlink.transfer(copy, [copy]);
  },
  async importFile(bytes, name) {
    const u8 = new Uint8Array(bytes);
    const ckpt = decodeCheckpoint(u8);
    return store.save(u8, { name: name || ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step });
  },
};

/** The store's requests, each reported on `port` when it starts and when it is done (IndexedDB itself is untouched). */
function reporting(kv: KeyValue, port: MessagePort): KeyValue {
  const say = (p: SavePhase) => port.postMessage(p);
  return {
    ...kv,
    async set(k, v) {
      const what = k.startsWith('blob:') ? 'bytes' : 'manifest';
      say(`${what}-start`);
      await kv.set(k, v);
      say(`${what}-done`);
    },
  };
}

/** For the kill-during-save e2e: the training worker's hooks start this worker, save through it and terminate it. */
const testApi: CheckpointTestApi = {
  ready: async () => true,
  async saveRevision(id, bytes, step, progress) {
    const s = progress ? new CheckpointStore(undefined, { kv: reporting(idbKeyValue('flm-studio'), progress) }) : store;
    const info = await s.save(new Uint8Array(bytes), { id, name: 'large', kind: 'flm', step });
    progress?.postMessage('cleanup-done' satisfies SavePhase);
    return info;
  },
};

exposeApi({ ...api, ...testApi });
