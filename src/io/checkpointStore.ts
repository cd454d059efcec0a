/**
 * Checkpoints in IndexedDB (idb-keyval). A save writes the new bytes under a
 * fresh key first, then switches the checkpoint's manifest record to it in a
 * single write, then deletes the old bytes: a crash at any moment leaves the
 * previous revision loadable. Writes to one checkpoint are serialised across
 * tabs with the Web Locks API where it exists.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

export interface CheckpointInfo {
  id: string;
  name: string;
  kind: string;
  step: number;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

export class StorageFullError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/** The key-value operations the store needs (idb-keyval by default; tests may wrap them). */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

function idbKeyValue(store: UseStore): KeyValue {
  return {
    get: (k) => get(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    keys: async () => (await keys(store)).map(String),
  };
}

const metaKey = (id: string) => `meta:${id}`;
const blobKey = (id: string, rev: number) => `blob:${id}:${rev}`;

function isQuotaError(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'QuotaExceededError' || /quota/i.test(err?.message ?? '') || /quota/i.test(err?.name ?? '');
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? locks.request(name, fn) as Promise<T> : fn();
}

export class CheckpointStore {
  private readonly kv: KeyValue;
  constructor(dbName = 'flm-studio', kv?: KeyValue) {
    this.kv = kv ?? idbKeyValue(createStore(dbName, 'checkpoints'));
  }

  async list(): Promise<CheckpointInfo[]> {
    const all = await this.kv.keys();
    const infos: CheckpointInfo[] = [];
    for (const k of all) {
      if (!k.startsWith('meta:')) continue;
      const info = await this.kv.get<CheckpointInfo>(k);
      if (info) infos.push(info);
    }
    await this.collect(all, infos);
    return infos.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  /** Delete bytes no manifest points at (left by an interrupted save). */
  private async collect(all: string[], infos: CheckpointInfo[]): Promise<void> {
    const live = new Set(infos.map((i) => blobKey(i.id, i.rev)));
    for (const k of all) if (k.startsWith('blob:') && !live.has(k)) await this.kv.del(k).catch(() => undefined);
  }

  async save(bytes: Uint8Array, info: { id?: string; name: string; kind: string; step: number }): Promise<CheckpointInfo> {
    const id = info.id ?? crypto.randomUUID();
    return withLock(`flm-ckpt:${id}`, async () => {
      const prev = await this.kv.get<CheckpointInfo>(metaKey(id));
      const now = new Date().toISOString();
      const next: CheckpointInfo = {
        id, name: info.name, kind: info.kind, step: info.step, bytes: bytes.length,
        createdAt: prev?.createdAt ?? now, updatedAt: now, rev: (prev?.rev ?? 0) + 1,
      };
      try {
        await this.kv.set(blobKey(id, next.rev), bytes.slice());
        await this.kv.set(metaKey(id), next);
      } catch (e) {
        await this.kv.del(blobKey(id, next.rev)).catch(() => undefined);
        if (isQuotaError(e)) {
          throw new StorageFullError(`The browser's storage is full (${(bytes.length / 2 ** 20).toFixed(1)} MB needed). Delete old checkpoints or export them to files; nothing already stored was lost.`, { cause: e });
        }
        throw e;
      }
      if (prev) await this.kv.del(blobKey(id, prev.rev)).catch(() => undefined);
      return next;
    });
  }

  async load(id: string): Promise<Uint8Array> {
    const info = await this.kv.get<CheckpointInfo>(metaKey(id));
    if (!info) throw new Error(`no stored checkpoint with id ${id}`);
    const bytes = await this.kv.get<Uint8Array>(blobKey(id, info.rev));
    if (!bytes) throw new Error(`the stored bytes of checkpoint "${info.name}" are missing`);
    return bytes;
  }

  async rename(id: string, name: string): Promise<CheckpointInfo> {
    return withLock(`flm-ckpt:${id}`, async () => {
      const info = await this.kv.get<CheckpointInfo>(metaKey(id));
      if (!info) throw new Error(`no stored checkpoint with id ${id}`);
      const next = { ...info, name };
      await this.kv.set(metaKey(id), next);
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    return withLock(`flm-ckpt:${id}`, async () => {
      const info = await this.kv.get<CheckpointInfo>(metaKey(id));
      await this.kv.del(metaKey(id));
      if (info) await this.kv.del(blobKey(id, info.rev));
    });
  }
}
