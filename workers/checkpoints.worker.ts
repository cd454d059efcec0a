/// <reference lib="webworker" />
/** The checkpoints stored in this browser (IndexedDB): list, rename, delete, export and import. */
import * as Comlink from 'comlink';
import { decodeCheckpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { exposeApi } from './expose.ts';
import type { CheckpointApi } from './protocol.ts';

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

exposeApi(api);
