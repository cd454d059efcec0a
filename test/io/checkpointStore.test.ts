import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, StorageFullError, type KeyValue } from '../../src/io/checkpointStore.ts';
import { createStore, del, get, keys, set } from 'idb-keyval';

let n = 0;
const db = () => `test-${Date.now()}-${n++}`;
const bytes = (v: number, len = 100) => new Uint8Array(len).fill(v);

/** idb-keyval with a switch to make the next matching write fail. */
function faulty(name: string) {
  const store = createStore(name, 'checkpoints');
  const kv: KeyValue & { failNext: ((key: string) => Error | null) | null } = {
    failNext: null,
    get: (k) => get(k, store),
    async set(k, v) {
      const e = kv.failNext?.(k);
      if (e) { kv.failNext = null; throw e; }
      await set(k, v, store);
    },
    del: (k) => del(k, store),
    keys: async () => (await keys(store)).map(String),
  };
  return kv;
}

describe('checkpoint store (IndexedDB)', () => {
  it('saves, lists, loads, renames and deletes', async () => {
    const s = new CheckpointStore(db());
    const a = await s.save(bytes(1), { name: 'a', kind: 'flm', step: 10 });
    const b = await s.save(bytes(2, 50), { name: 'b', kind: 'flm', step: 20 });
    expect((await s.list()).map((c) => c.name).sort()).toEqual(['a', 'b']);
    expect(await s.load(a.id)).toEqual(bytes(1));
    await s.rename(b.id, 'renamed');
    expect((await s.list()).find((c) => c.id === b.id)!.name).toBe('renamed');
    await s.delete(a.id);
    expect((await s.list()).map((c) => c.id)).toEqual([b.id]);
  });

  it('a second save replaces the first and bumps the revision', async () => {
    const s = new CheckpointStore(db());
    const a = await s.save(bytes(1), { name: 'run', kind: 'flm', step: 10 });
    const a2 = await s.save(bytes(3), { id: a.id, name: 'run', kind: 'flm', step: 20 });
    expect(a2.rev).toBe(2);
    expect(await s.load(a.id)).toEqual(bytes(3));
    expect((await s.list()).length).toBe(1);
  });

  it('a crash between writing the bytes and switching the manifest keeps the previous checkpoint', async () => {
    const name = db();
    const kv = faulty(name);
    const s = new CheckpointStore(name, kv);
    const a = await s.save(bytes(1), { name: 'run', kind: 'flm', step: 10 });
    kv.failNext = (k) => (k.startsWith('meta:') ? new Error('tab closed') : null);
    await expect(s.save(bytes(9), { id: a.id, name: 'run', kind: 'flm', step: 20 })).rejects.toThrow('tab closed');
    expect(await s.load(a.id)).toEqual(bytes(1));
    expect((await s.list())[0].step).toBe(10);
  });

  it('a full quota gives StorageFullError and loses nothing', async () => {
    const name = db();
    const kv = faulty(name);
    const s = new CheckpointStore(name, kv);
    const a = await s.save(bytes(1), { name: 'run', kind: 'flm', step: 10 });
    const quota = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
    kv.failNext = (k) => (k.startsWith('blob:') ? quota : null);
    const e = await s.save(bytes(5, 1000), { name: 'new', kind: 'flm', step: 1 }).catch((x) => x);
    expect(e).toBeInstanceOf(StorageFullError);
    expect((e as Error).message).toMatch(/storage is full/);
    expect(await s.load(a.id)).toEqual(bytes(1));
    expect((await s.list()).length).toBe(1);
  });
});
