/**
 * Checkpoints in IndexedDB (via idb-keyval).
 *
 * Records:
 *   `meta:<id>`       → CheckpointInfo (the manifest; `rev` names the current bytes)
 *   `blob:<id>:<rev>` → Uint8Array (the `.safetensors` bytes of one revision)
 *
 * A save writes the new bytes under a fresh key first, then switches the
 * manifest to them in a single write, then deletes the old bytes: a crash at
 * any moment leaves the previous revision loadable. Bytes no manifest points
 * at (an interrupted save, an interrupted delete) are removed lazily by the
 * next `list` or `save`. Writes to one checkpoint are serialised with the Web
 * Locks API where it exists (across tabs and workers), and by an in-process
 * queue otherwise; a load holds the same lock (shared), so that a save in
 * another tab cannot delete the revision being read. A run claims its
 * checkpoint (`claim`: a second lock, held for the whole run), so that two
 * tabs never train the same checkpoint at once.
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

/** The browser refused to store more data; nothing stored before was lost. */
export class StorageFullError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/**
 * The key-value operations the store needs. idb-keyval on a database of its
 * own by default; tests pass a wrapper to simulate crashes and full disks.
 */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** idb-keyval on object store `checkpoints` of database `dbName`. */
export function idbKeyValue(dbName: string): KeyValue {
  const store: UseStore = createStore(dbName, 'checkpoints');
  return {
    get: (k) => get(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    keys: async () => (await keys(store)).map(String),
  };
}

const metaKey = (id: string) => `meta:${id}`;
const blobKey = (id: string, rev: number) => `blob:${id}:${rev}`;
const lockName = (id: string) => `flm-ckpt:${id}`;
/** Held by the run that trains checkpoint `id`, for the whole run (never by a save: Web Locks are not re-entrant). */
const claimName = (id: string) => `flm-train:${id}`;

/** `blob:<id>:<rev>` → { id, rev } (ids may contain ':'; the rev is after the last one). */
function parseBlobKey(k: string): { id: string; rev: number } | null {
  if (!k.startsWith('blob:')) return null;
  const at = k.lastIndexOf(':');
  if (at <= 4) return null;
  const rev = Number(k.slice(at + 1));
  return Number.isInteger(rev) ? { id: k.slice(5, at), rev } : null;
}

function isInfo(v: unknown): v is CheckpointInfo {
  const o = v as CheckpointInfo | null | undefined;
  return typeof o === 'object' && o !== null && typeof o.id === 'string' && typeof o.rev === 'number' && typeof o.name === 'string';
}

/** The checkpoint is being trained elsewhere (another tab, or a worker of this one); nothing was changed. */
export class CheckpointBusyError extends Error {
  readonly code = 'checkpoint-busy';
  constructor(message = 'This checkpoint is being trained in another tab. Pause it there (or close that tab), then resume it here.') {
    super(message);
    this.name = 'CheckpointBusyError';
  }
}

/** A run's hold on its checkpoint (see `CheckpointStore.claim`). */
export interface CheckpointClaim {
  /** Let another tab train the checkpoint (idempotent). */
  release(): void;
}

/** Whether an error from IndexedDB means "out of space". */
export function isQuotaError(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const err = x as { name?: unknown; message?: unknown; code?: unknown };
    if (err.name === 'QuotaExceededError' || err.code === 22) return true;
    if (/quota/i.test(String(err.name ?? '')) || /quota/i.test(String(err.message ?? ''))) return true;
  }
  return false;
}

function sizeText(n: number): string {
  const m = n / 1e6;
  return m < 0.1 ? 'under 0.1 MB' : `${m.toFixed(m < 10 ? 1 : 0)} MB`;
}

function storageFull(needed: number, cause: unknown): StorageFullError {
  return new StorageFullError(
    `The browser's storage is full (${sizeText(needed)} needed). Delete old checkpoints or export them to files; nothing already stored was lost.`,
    { cause },
  );
}

// ---------------------------------------------------------------- locking

interface LockOptions { ifAvailable?: boolean; mode?: 'exclusive' | 'shared' }

interface LockManagerLike {
  request(name: string, options: LockOptions, fn: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

const webLocks = (): LockManagerLike | undefined => {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks && typeof locks.request === 'function' ? locks : undefined;
};

/** Per lock name, the promise that settles when the last queued holder releases it. */
const localTails = new Map<string, Promise<unknown>>();

/**
 * Run `fn` holding the lock `name`. With `ifAvailable`, `fn` receives false
 * (and should do nothing) when someone else holds it. `shared` holders may
 * overlap one another, never an exclusive holder (without Web Locks every
 * holder is exclusive).
 */
async function withLock<T>(name: string, fn: (got: boolean) => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const locks = webLocks();
  if (locks) return (await locks.request(name, opts, (lock) => fn(lock !== null))) as T;
  // No Web Locks (Node, old browsers): serialise within this context only.
  if (opts.ifAvailable && localTails.has(name)) return fn(false);
  const prev = localTails.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  localTails.set(name, tail);
  await prev;
  try {
    return await fn(true);
  } finally {
    release();
    if (localTails.get(name) === tail) localTails.delete(name);
  }
}

/** Names held through `hold` in this context when there are no Web Locks. */
const localHeld = new Set<string>();

/**
 * Take the lock `name` if no one holds it, and keep it until `release` (or
 * until this tab or worker ends: the browser then frees it). Null when it is held.
 */
function hold(name: string): Promise<(() => void) | null> {
  const locks = webLocks();
  if (!locks) {
    if (localHeld.has(name)) return Promise.resolve(null);
    localHeld.add(name);
    let done = false;
    return Promise.resolve(() => { if (!done) { done = true; localHeld.delete(name); } });
  }
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    locks.request(name, { ifAvailable: true }, async (lock) => {
      if (lock === null) return resolve(null);
      resolve(release);
      await held;
    }).catch(reject);
  });
}

// ---------------------------------------------------------------- store

export interface CheckpointStoreOptions {
  /** Key-value backend (default: idb-keyval on `dbName`). */
  kv?: KeyValue;
}

export class CheckpointStore {
  private readonly kv: KeyValue;

  constructor(dbName = 'flm-studio', opts: CheckpointStoreOptions | KeyValue = {}) {
    const kv = 'get' in opts ? opts : opts.kv;
    this.kv = kv ?? idbKeyValue(dbName);
  }

  /** All stored checkpoints, newest first. */
  async list(): Promise<CheckpointInfo[]> {
    const all = await this.kv.keys();
    const infos: CheckpointInfo[] = [];
    for (const k of all) {
      if (!k.startsWith('meta:')) continue;
      const info = await this.kv.get<unknown>(k);
      if (isInfo(info)) infos.push(info);
    }
    // Orphans: bytes that are not the current revision of their checkpoint.
    const current = new Map(infos.map((i) => [i.id, i.rev]));
    const orphanIds = new Set<string>();
    for (const k of all) {
      const b = parseBlobKey(k);
      if (b && current.get(b.id) !== b.rev) orphanIds.add(b.id);
    }
    for (const id of orphanIds) await this.collect(id, all, true).catch(() => undefined);
    return infos.sort(
      (a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id),
    );
  }

  /** How many stored byte records no manifest points at (left by an interrupted save; the next `list` removes them). */
  async orphans(): Promise<number> {
    const all = await this.kv.keys();
    let n = 0;
    for (const k of all) {
      const b = parseBlobKey(k);
      if (!b) continue;
      const info = await this.kv.get<unknown>(metaKey(b.id));
      if (!isInfo(info) || info.rev !== b.rev) n++;
    }
    return n;
  }

  /**
   * Delete the bytes of checkpoint `id` that its manifest does not point at.
   * Holds the checkpoint's lock (skipping if it is busy: a save in progress
   * owns its fresh blob), or runs inside a caller that already holds it.
   */
  private async collect(id: string, all: string[] | null, takeLock: boolean): Promise<void> {
    const run = async () => {
      const info = await this.kv.get<unknown>(metaKey(id));
      const keep = isInfo(info) ? blobKey(id, info.rev) : null;
      for (const k of all ?? (await this.kv.keys())) {
        const b = parseBlobKey(k);
        if (b && b.id === id && k !== keep) await this.kv.del(k).catch(() => undefined);
      }
    };
    if (!takeLock) return run();
    await withLock(lockName(id), async (got) => { if (got) await run(); }, { ifAvailable: true });
  }

  /**
   * Store `bytes` as a new checkpoint (no `info.id`) or as the next revision
   * of checkpoint `info.id`. Throws StorageFullError when the quota is
   * exceeded; the previous revision stays loadable whatever happens.
   */
  async save(bytes: Uint8Array, info: { id?: string; name: string; kind: string; step: number }): Promise<CheckpointInfo> {
    const id = info.id ?? crypto.randomUUID();
    return withLock(lockName(id), async () => {
      const old = await this.kv.get<unknown>(metaKey(id));
      const prev = isInfo(old) ? old : undefined;
      const now = new Date().toISOString();
      const next: CheckpointInfo = {
        // A checkpoint keeps the name the user gave it (rename) across later saves.
        id, name: prev?.name ?? info.name, kind: info.kind, step: info.step, bytes: bytes.length,
        createdAt: prev?.createdAt ?? now, updatedAt: now, rev: (prev?.rev ?? 0) + 1,
      };
      // A view into a larger buffer would store the whole buffer: copy it out.
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const value = whole ? bytes : bytes.slice();
      const fresh = blobKey(id, next.rev);
      try {
        await this.kv.set(fresh, value);      // 1. the new bytes, beside the old ones
        await this.kv.set(metaKey(id), next); // 2. the switch (one atomic write)
      } catch (e) {
        await this.kv.del(fresh).catch(() => undefined);
        if (isQuotaError(e)) throw storageFull(bytes.length, e);
        throw e;
      }
      // 3. the old bytes, and anything left by an interrupted save.
      await this.collect(id, null, false).catch(() => undefined);
      return next;
    });
  }

  /**
   * The bytes of the current revision of checkpoint `id`. Holds the
   * checkpoint's lock (shared with other loads): a save elsewhere waits
   * until the manifest and the bytes it names have been read.
   */
  async load(id: string): Promise<Uint8Array> {
    return withLock(lockName(id), async () => {
      const info = await this.kv.get<unknown>(metaKey(id));
      if (!isInfo(info)) throw new Error(`There is no saved checkpoint with id ${id} (it may have been deleted in another tab).`);
      const bytes = await this.kv.get<unknown>(blobKey(id, info.rev));
      if (bytes instanceof Uint8Array) return bytes;
      if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
      throw new Error(`The stored data of checkpoint "${info.name}" is missing; the browser may have evicted it.`);
    }, { mode: 'shared' });
  }

  /**
   * Claim checkpoint `id` for a training run, for as long as the run goes
   * (until `release`, or until the tab or worker holding it ends). A second
   * claim — another tab resuming the same checkpoint — is refused with
   * CheckpointBusyError instead of both runs writing revisions in turn.
   * Across tabs and workers with Web Locks; within this context otherwise.
   */
  async claim(id: string): Promise<CheckpointClaim> {
    const release = await hold(claimName(id));
    if (!release) throw new CheckpointBusyError();
    return { release };
  }

  /** Change the displayed name (the bytes are untouched). */
  async rename(id: string, name: string): Promise<CheckpointInfo> {
    return withLock(lockName(id), async () => {
      const info = await this.kv.get<unknown>(metaKey(id));
      if (!isInfo(info)) throw new Error(`There is no saved checkpoint with id ${id} (it may have been deleted in another tab).`);
      const next: CheckpointInfo = { ...info, name };
      try {
        await this.kv.set(metaKey(id), next);
      } catch (e) {
        if (isQuotaError(e)) throw storageFull(0, e);
        throw e;
      }
      return next;
    });
  }

  /** Remove a checkpoint (the manifest first, so a crash leaves only an orphan). */
  async delete(id: string): Promise<void> {
    return withLock(lockName(id), async () => {
      await this.kv.del(metaKey(id));
      await this.collect(id, null, false);
    });
  }
}
