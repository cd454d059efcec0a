import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { CheckpointStore, idbKeyValue, type KeyValue } from '../../src/io/checkpointStore.ts';
import { fixtureBytes } from '../helpers.ts';

/**
 * The training worker killed during a checkpoint write, at random moments.
 *
 * Every IndexedDB request runs in its own transaction, and a transaction
 * either commits entirely or not at all: a worker that dies mid-request
 * leaves the request committed or not, never half-written. So "killed at a
 * random moment" is: after a random number k of the save's requests have
 * completed, request k + 1 is either committed or lost (a coin flip), and
 * nothing after it happens. A fresh store (the reloaded tab) must then load a
 * valid checkpoint: the previous revision or the new one.
 */
class Killed extends Error {}

function killable(inner: KeyValue, killAt: number, lastCommits: boolean) {
  let ops = 0;
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    const i = ops++;
    if (i < killAt) return run();
    if (i === killAt && lastCommits) await run();
    throw new Killed('worker terminated');
  };
  return {
    kv: {
      get: <T>(k: string) => step(() => inner.get<T>(k)),
      set: (k: string, v: unknown) => step(() => inner.set(k, v)),
      del: (k: string) => step(() => inner.del(k)),
      keys: () => step(() => inner.keys()),
    } satisfies KeyValue,
    ops: () => ops,
  };
}

/** A deterministic random sequence for the kill points. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

describe('worker killed during checkpoint writes', () => {
  it('60 random kill points: a reloaded tab always loads the previous or the new checkpoint', async () => {
    const base = decodeCheckpoint(fixtureBytes('checkpoint_flm.safetensors'));
    const at = (step: number): Uint8Array => {
      const c: Checkpoint = { ...base, meta: { ...base.meta, step, name: 'run' }, params: base.params.map((x) => x + step) };
      return encodeCheckpoint(c);
    };
    const db = `flm-kill-${Date.now()}`;
    const raw = idbKeyValue(db);
    const first = await new CheckpointStore(db).save(at(0), { name: 'run', kind: 'flm', step: 0 });

    // How many requests one save makes (to spread the kill points over all of them).
    const probe = killable(raw, Number.MAX_SAFE_INTEGER, true);
    await new CheckpointStore(db, { kv: probe.kv }).save(at(1), { id: first.id, name: 'run', kind: 'flm', step: 1 });
    const perSave = probe.ops();
    expect(perSave).toBeGreaterThanOrEqual(3);

    const random = rng(42);
    let stored = 1, lost = 0, kills = 0;
    const seen = new Set<number>();
    for (let trial = 0; trial < 60; trial++) {
      const step = trial + 2;
      const killAt = Math.floor(random() * perSave);
      const lastCommits = random() < 0.5;
      const k = killable(raw, killAt, lastCommits);
      // (A kill inside the clean-up of old bytes is swallowed there: the save has already committed.)
      await new CheckpointStore(db, { kv: k.kv })
        .save(at(step), { id: first.id, name: 'run', kind: 'flm', step })
        .catch((e) => { if (!(e instanceof Killed)) throw e; });
      kills++;
      seen.add(killAt);
      // The tab is reloaded: a fresh store on the same database.
      const fresh = new CheckpointStore(db);
      const list = await fresh.list();
      expect(list.map((i) => i.id)).toEqual([first.id]);
      const ckpt = decodeCheckpoint(await fresh.load(first.id));
      expect([stored, step]).toContain(ckpt.meta.step);
      expect(list[0].step).toBe(ckpt.meta.step);
      expect(ckpt.params[0]).toBe(Math.fround(base.params[0] + ckpt.meta.step));
      if (ckpt.meta.step !== stored && ckpt.meta.step !== step) lost++;
      stored = ckpt.meta.step;
    }
    // Every kill point was tried, and orphans never pile up.
    expect(seen.size).toBe(perSave);
    const keys = await raw.keys();
    expect(keys.filter((x) => x.startsWith('blob:')).length).toBeLessThanOrEqual(2);
    expect(lost).toBe(0);
    console.log(`kill-during-write: ${kills} kills at all ${perSave} request boundaries of a save (the request in flight committed or lost at random), ${lost} checkpoints lost`);
  });
});
