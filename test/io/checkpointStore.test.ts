import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointBusyError, CheckpointStore, idbKeyValue, StorageFullError, type KeyValue } from '../../src/io/checkpointStore.ts';

let n = 0;
const db = () => `flm-test-${Date.now()}-${n++}`;
const bytes = (v: number, len = 100) => new Uint8Array(len).fill(v);
const info = (name: string, step: number, id?: string) => ({ id, name, kind: 'flm', step });

/**
 * idb-keyval with fault injection: `failSet(k)` may return an error for the
 * next `set`; after `crash()`, every operation fails (the tab is gone).
 */
function faulty(dbName: string) {
  const inner = idbKeyValue(dbName);
  let crashed = false;
  const dead = () => Promise.reject(new Error('tab closed'));
  const kv: KeyValue & { failSet: ((key: string) => Error | null) | null; crashAfterSet: ((key: string) => boolean) | null } = {
    failSet: null,
    crashAfterSet: null,
    get: (k) => (crashed ? dead() : inner.get(k)),
    async set(k, v) {
      if (crashed) return dead();
      const e = kv.failSet?.(k);
      if (e) { kv.failSet = null; throw e; }
      await inner.set(k, v);
      if (kv.crashAfterSet?.(k)) crashed = true;
    },
    del: (k) => (crashed ? dead() : inner.del(k)),
    keys: () => (crashed ? dead() : inner.keys()),
  };
  return kv;
}

afterEach(() => vi.unstubAllGlobals());

describe('checkpoint store (IndexedDB)', () => {
  it('saves, lists (newest first), loads, renames and deletes', async () => {
    const s = new CheckpointStore(db());
    expect(await s.list()).toEqual([]);
    const a = await s.save(bytes(1), info('a', 10));
    await new Promise((r) => setTimeout(r, 5));
    const b = await s.save(bytes(2, 50), info('b', 20));
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ name: 'a', kind: 'flm', step: 10, bytes: 100, rev: 1 });
    expect((await s.list()).map((c) => c.name)).toEqual(['b', 'a']);
    expect(await s.load(a.id)).toEqual(bytes(1));
    expect(await s.load(b.id)).toEqual(bytes(2, 50));

    const r = await s.rename(b.id, 'renamed');
    expect(r).toMatchObject({ id: b.id, name: 'renamed', rev: 1 });
    expect((await s.list()).find((c) => c.id === b.id)!.name).toBe('renamed');
    expect(await s.load(b.id)).toEqual(bytes(2, 50));

    await s.delete(a.id);
    expect((await s.list()).map((c) => c.id)).toEqual([b.id]);
    await expect(s.load(a.id)).rejects.toThrow(/no saved checkpoint/);
    await expect(s.rename(a.id, 'x')).rejects.toThrow(/no saved checkpoint/);
  });

  it('stores a copy of a view, not the whole underlying buffer', async () => {
    const name = db();
    const s = new CheckpointStore(name);
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    const c = await s.save(big.subarray(10, 20), info('view', 1));
    const got = await s.load(c.id);
    expect(got.byteLength).toBe(10);
    expect(got.buffer.byteLength).toBe(10);
    expect([...got]).toEqual([...big.subarray(10, 20)]);
  });

  it('a second save replaces the first and bumps the revision', async () => {
    const name = db();
    const s = new CheckpointStore(name);
    const a = await s.save(bytes(1), info('run', 10));
    const a2 = await s.save(bytes(3, 60), info('run', 20, a.id));
    expect(a2).toMatchObject({ id: a.id, rev: 2, step: 20, bytes: 60, createdAt: a.createdAt });
    expect(await s.load(a.id)).toEqual(bytes(3, 60));
    expect(await s.list()).toEqual([a2]);
    // The old bytes are gone.
    expect((await idbKeyValue(name).keys()).sort()).toEqual([`blob:${a.id}:2`, `meta:${a.id}`]);
  });

  it('a crash between writing the bytes and switching the manifest keeps the previous checkpoint', async () => {
    const name = db();
    const kv = faulty(name);
    const s = new CheckpointStore(name, { kv });
    const a = await s.save(bytes(1), info('run', 10));
    // The tab dies right after the new bytes are written.
    kv.crashAfterSet = (k) => k.startsWith('blob:');
    await expect(s.save(bytes(9), info('run', 20, a.id))).rejects.toThrow('tab closed');

    // A new tab: the previous revision loads, the orphan is still there…
    const raw = idbKeyValue(name);
    expect((await raw.keys()).sort()).toEqual([`blob:${a.id}:1`, `blob:${a.id}:2`, `meta:${a.id}`]);
    const s2 = new CheckpointStore(name);
    expect(await s2.load(a.id)).toEqual(bytes(1));
    // …and the next save cleans it up.
    const a3 = await s2.save(bytes(4), info('run', 30, a.id));
    expect(a3.rev).toBe(2);
    expect(await s2.load(a.id)).toEqual(bytes(4));
    expect((await raw.keys()).sort()).toEqual([`blob:${a.id}:2`, `meta:${a.id}`]);
  });

  it('a failed manifest write keeps the previous checkpoint; list cleans orphans', async () => {
    const name = db();
    const kv = faulty(name);
    const s = new CheckpointStore(name, { kv });
    const a = await s.save(bytes(1), info('run', 10));
    kv.failSet = (k) => (k.startsWith('meta:') ? new Error('transaction aborted') : null);
    await expect(s.save(bytes(9), info('run', 20, a.id))).rejects.toThrow('transaction aborted');
    expect(await s.load(a.id)).toEqual(bytes(1));
    expect((await s.list())[0]).toMatchObject({ step: 10, rev: 1 });

    // An orphan from an interrupted save of another tab (no lock held): list removes it.
    const raw = idbKeyValue(name);
    await raw.set(`blob:${a.id}:7`, bytes(7));
    await raw.set('blob:gone:1', bytes(7));
    expect(await s.list()).toHaveLength(1);
    expect((await raw.keys()).sort()).toEqual([`blob:${a.id}:1`, `meta:${a.id}`]);
  });

  it('a full quota gives StorageFullError and loses nothing', async () => {
    const name = db();
    const kv = faulty(name);
    const s = new CheckpointStore(name, { kv });
    const a = await s.save(bytes(1), info('run', 10));
    const quota = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });

    kv.failSet = (k) => (k.startsWith('blob:') ? quota : null);
    const e = await s.save(bytes(5, 3_000_000), info('new', 1)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StorageFullError);
    expect((e as Error).message).toMatch(/storage is full \(3\.0 MB needed\)/);
    expect((e as Error).message).toMatch(/nothing already stored was lost/);
    expect((e as Error).cause).toBe(quota);

    // Quota hit on the manifest switch of an existing checkpoint.
    kv.failSet = (k) => (k.startsWith('meta:') ? new DOMException('disk full', 'QuotaExceededError') : null);
    await expect(s.save(bytes(6), info('run', 11, a.id))).rejects.toBeInstanceOf(StorageFullError);

    // A quota error named only in the message (some browsers) counts too.
    kv.failSet = () => new Error('Quota exceeded for origin');
    await expect(s.save(bytes(6), info('run', 12, a.id))).rejects.toBeInstanceOf(StorageFullError);

    expect(await s.load(a.id)).toEqual(bytes(1));
    expect(await s.list()).toEqual([a]);
    expect((await idbKeyValue(name).keys()).sort()).toEqual([`blob:${a.id}:1`, `meta:${a.id}`]);
  });

  it('serialises concurrent saves of one checkpoint', async () => {
    const s = new CheckpointStore(db());
    const a = await s.save(bytes(0), info('run', 0));
    const all = await Promise.all([1, 2, 3, 4].map((v) => s.save(bytes(v), info('run', v, a.id))));
    expect(all.map((c) => c.rev).sort()).toEqual([2, 3, 4, 5]);
    const last = all.find((c) => c.rev === 5)!;
    expect(await s.load(a.id)).toEqual(bytes(last.step));
    expect(await s.list()).toEqual([last]);
  });

  it('uses the Web Locks API when there is one', async () => {
    const names: string[] = [];
    vi.stubGlobal('navigator', {
      locks: {
        request: (name: string, opts: { mode?: string; ifAvailable?: boolean }, fn: (lock: unknown) => Promise<unknown>) => {
          names.push(`${name} ${opts.mode ?? 'exclusive'}${opts.ifAvailable ? ' if available' : ''}`);
          return fn({ name });
        },
      },
    });
    const s = new CheckpointStore(db());
    const a = await s.save(bytes(1), info('run', 1, 'fixed-id'));
    await s.load(a.id);
    await s.rename(a.id, 'x');
    const claim = await s.claim(a.id);
    claim.release();
    await s.delete(a.id);
    expect(names).toEqual([
      'flm-ckpt:fixed-id exclusive', 'flm-ckpt:fixed-id shared', 'flm-ckpt:fixed-id exclusive',
      'flm-train:fixed-id exclusive if available', 'flm-ckpt:fixed-id exclusive',
    ]);
  });

  it('a checkpoint claimed by a run cannot be claimed again (another tab resuming it) until the run lets go', async () => {
    const tabA = new CheckpointStore(db()), tabB = new CheckpointStore(db());
    const claim = await tabA.claim('ckpt-1');
    const e = await tabB.claim('ckpt-1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CheckpointBusyError);
    expect((e as CheckpointBusyError).code).toBe('checkpoint-busy');
    expect((e as Error).message).toMatch(/^This checkpoint is being trained in another tab\./);
    // Another checkpoint is free.
    (await tabB.claim('ckpt-2')).release();
    claim.release();
    claim.release(); // idempotent
    const again = await tabB.claim('ckpt-1');
    await expect(tabA.claim('ckpt-1')).rejects.toBeInstanceOf(CheckpointBusyError);
    again.release();
  });

  it('a load holds the checkpoint: a save in another tab waits, so it cannot delete the revision being read', async () => {
    const name = db();
    const writer = new CheckpointStore(name);
    const a = await writer.save(bytes(1, 1000), info('run', 1));
    // The reading tab is slow to fetch the bytes: it has read the manifest (rev 1) when the other tab saves.
    const inner = idbKeyValue(name);
    let saved = false;
    const slow: KeyValue = {
      ...inner,
      get: async <T>(k: string) => {
        if (k.startsWith('blob:')) {
          for (let i = 0; i < 20 && !saved; i++) await new Promise((r) => setTimeout(r, 5));
        }
        return inner.get<T>(k);
      },
    };
    const reader = new CheckpointStore(name, { kv: slow });
    const loading = reader.load(a.id);
    await new Promise((r) => setTimeout(r, 5));
    const saving = writer.save(bytes(2, 1000), info('run', 2, a.id)).then((x) => { saved = true; return x; });
    expect(await loading).toEqual(bytes(1, 1000));
    expect(await saving).toMatchObject({ rev: 2, step: 2 });
    expect(await reader.load(a.id)).toEqual(bytes(2, 1000));
  });
});
