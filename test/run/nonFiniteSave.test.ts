import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { CheckpointStore, idbKeyValue } from '../../src/io/checkpointStore.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { Run, type CheckpointSink, type RunOutcome } from '../../src/run/loop.ts';
import { prepareRun, resumeSpec, type TrainerSpec } from '../../src/run/trainer.ts';
import { config, lossesByStep, options, text, tokenizer, train } from './helpers.ts';

/**
 * Defect 1 of issue 20, the studio's half: a step whose loss is finite but
 * whose update leaves non-finite weights, followed by a periodic save. The
 * snapshot is refused by the checkpoint format; the run must roll back to the
 * last stored checkpoint (a 'rolled-back' event that says why), and the store
 * must keep that checkpoint, loadable, as its only revision.
 */

const flm: TrainerSpec = { kind: 'flm', config, train };
let n = 0;

/** The studio's sink (workers/runs.ts): encoded snapshots as revisions of one checkpoint in IndexedDB. */
function storeSink(db: string) {
  const store = new CheckpointStore(db);
  const sink: CheckpointSink & { id: string } = {
    id: '',
    async save(ckpt) {
      const info = await store.save(encodeCheckpoint(ckpt), { id: sink.id || undefined, name: ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step });
      sink.id = info.id;
      return info;
    },
    load: async () => decodeCheckpoint(await store.load(sink.id)),
  };
  return { store, sink };
}

/** What the store holds for the run: its one manifest and the bytes it names, decoded (throws if they do not load). */
async function stored(db: string, id: string) {
  const keys = (await idbKeyValue(db).keys()).sort();
  const fresh = new CheckpointStore(db);
  const [info] = await fresh.list();
  const ckpt = decodeCheckpoint(await fresh.load(id));
  return { keys, info, ckpt };
}

function expectRolledBackForWeights(outcome: RunOutcome, events: RunEvent[], at: number, step: number) {
  expect(outcome).toMatchObject({ type: 'rolled-back', cause: 'weights', at, step });
  // The step's loss was finite: the loss check alone would have let this save through.
  const loss = lossesByStep(events).get(at);
  expect(Number.isFinite(loss)).toBe(true);
  expect(outcome.type === 'rolled-back' && outcome.loss).toBe(loss);
  const last = events[events.length - 1];
  expect(last).toMatchObject({ type: 'rolled-back', runId: 'run-1', step });
  expect(last.type === 'rolled-back' && last.message).toMatch(
    new RegExp(`^The weights became non-finite at step ${at} \\(its loss, [\\d.]+, was finite\\), so its checkpoint was not saved \\(weights tensor \\S+ holds (NaN|-?Infinity)\\)\\. `
      + `Training paused and rolled back to the last checkpoint \\(step ${step}\\), which is kept; Resume continues from there\\.`),
  );
  expect(events.some((e) => e.type === 'error')).toBe(false);
}

describe('finite loss, non-finite weights, periodic save (studio store)', () => {
  it('weights poisoned after a finite step, just before the periodic save: rolled back, the good revision kept', async () => {
    const db = `flm-nonfinite-${Date.now()}-${n++}`;
    const { sink } = storeSink(db);
    const events: RunEvent[] = [];
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const run = new Run(p.trainer, options(events, sink, {
      saveEvery: 2,
      emit: (e) => {
        events.push(e);
        // Step 4's loss is computed and reported; then its weights go bad, and the periodic save at 4 follows.
        if (e.type === 'step' && e.step === 4) run.trainer.backend.write(run.trainer.params, new Float32Array(run.trainer.params.size).fill(Infinity));
      },
    }));
    const outcome = await run.start({ saveFirst: true });
    expectRolledBackForWeights(outcome, events, 4, 2);
    expect(run.alive).toBe(false);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.type === 'checkpoint' && e.info.step)).toEqual([0, 2]);

    const s = await stored(db, sink.id);
    expect(s.keys).toEqual([`blob:${sink.id}:2`, `meta:${sink.id}`]);
    expect(s.info).toMatchObject({ step: 2, rev: 2 });
    expect(s.ckpt.meta.step).toBe(2);
    expect(s.ckpt.params.every(Number.isFinite)).toBe(true);
  });

  it('an update that overflows (lr 1e41, no warm-up) on a resumed checkpoint: its save is refused, the checkpoint still resumes', async () => {
    const db = `flm-nonfinite-${Date.now()}-${n++}`;
    const { sink } = storeSink(db);
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    expect(await new Run(p.trainer, options([], sink, { target: 2 })).start()).toEqual({ type: 'done', step: 2 });
    const good = await stored(db, sink.id);

    // Resume it with an absurd learning rate, saving every step.
    const events: RunEvent[] = [];
    const resume = good.ckpt;
    const hot = { ...resume.meta.train!, lr: 1e41, warmup: 0 };
    const q = prepareRun(new CpuBackend(), { text, tokenizer, spec: resumeSpec(resume, hot), resume });
    const outcome = await new Run(q.trainer, options(events, sink, { target: 6, saveEvery: 1, resumed: true })).start();
    expectRolledBackForWeights(outcome, events, 3, 2);
    expect(events.filter((e) => e.type === 'checkpoint')).toEqual([]);

    const after = await stored(db, sink.id);
    expect(after.keys).toEqual(good.keys);
    expect(after.info).toEqual(good.info);
    expect(after.ckpt.params).toEqual(good.ckpt.params);
    // And it resumes (with a sane learning rate) to the end.
    const r = prepareRun(new CpuBackend(), { text, tokenizer, spec: resumeSpec(after.ckpt, train), resume: after.ckpt });
    expect(await new Run(r.trainer, options([], sink, { target: 4, resumed: true })).start()).toEqual({ type: 'done', step: 4 });
    expect((await stored(db, sink.id)).ckpt.meta.step).toBe(4);
  });

  it('a non-finite loss is still a roll-back of cause "loss", and a pause save of bad weights is refused the same way', async () => {
    const db = `flm-nonfinite-${Date.now()}-${n++}`;
    const { sink } = storeSink(db);
    const events: RunEvent[] = [];
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const run = new Run(p.trainer, options(events, sink, {
      emit: (e) => {
        events.push(e);
        if (e.type === 'step' && e.step === 3) {
          run.trainer.backend.write(run.trainer.params, new Float32Array(run.trainer.params.size).fill(NaN));
          run.pause();
        }
      },
    }));
    const outcome = await run.start({ saveFirst: true });
    expectRolledBackForWeights(outcome, events, 3, 0);
    expect(events.some((e) => e.type === 'paused')).toBe(false);
    expect((await stored(db, sink.id)).ckpt.meta.step).toBe(0);

    const more: RunEvent[] = [];
    const q = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const run2 = new Run(q.trainer, options(more, sink, {
      emit: (e) => { more.push(e); if (e.type === 'step' && e.step === 1) run2.trainer.backend.write(run2.trainer.params, new Float32Array(run2.trainer.params.size).fill(NaN)); },
    }));
    expect(await run2.start()).toMatchObject({ type: 'rolled-back', cause: 'loss', at: 2 });
  });
});
