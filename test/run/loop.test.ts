import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { judgeConfig } from '../../src/ar/trainer.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { MAX_RECOVERIES, Run, RunSlot, type RunOptions } from '../../src/run/loop.ts';
import { prepareRun, resumeSpec, type TrainerSpec } from '../../src/run/trainer.ts';
import { config, FakeDeviceLost, LosableBackend, lossesByStep, MemorySink, options, text, tokenizer, train } from './helpers.ts';

const flm: TrainerSpec = { kind: 'flm', config, train };

/** An uninterrupted run of `train.steps` steps: its losses by step and its final weights. */
async function straightRun(spec: TrainerSpec = flm, o: Partial<RunOptions> = {}) {
  const events: RunEvent[] = [], sink = new MemorySink();
  const p = prepareRun(new CpuBackend(), { text, tokenizer, spec });
  const outcome = await new Run(p.trainer, options(events, sink, o)).start();
  expect(outcome).toEqual({ type: 'done', step: train.steps });
  const last = (await sink.load())!;
  return { losses: lossesByStep(events), last, events };
}

describe('the run loop (CPU backend)', () => {
  it('pause, then resume from the stored checkpoint: the same losses and weights as an uninterrupted run', async () => {
    const a = await straightRun();
    expect([...a.losses.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(a.last.meta.step).toBe(8);
    // Validation every 2 steps, and at no other step.
    expect(a.events.filter((e) => e.type === 'step' && e.valCe !== undefined).map((e) => (e as { step: number }).step)).toEqual([2, 4, 6, 8]);

    const events: RunEvent[] = [], sink = new MemorySink();
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const run = new Run(p.trainer, options(events, sink, {
      sampleEvery: 2,
      emit: (e) => { events.push(e); if (e.type === 'step' && e.step === 3) run.pause(); },
    }));
    expect(await run.start({ saveFirst: true })).toEqual({ type: 'paused', step: 3 });
    expect(events.map((e) => e.type)).toEqual(['started', 'checkpoint', 'step', 'step', 'sample', 'step', 'checkpoint', 'paused']);
    expect(events.every((e) => e.runId === 'run-1')).toBe(true);
    // Previews: 8 Euler steps (9 frames), the tokens' display strings once.
    const sample = events.find((e) => e.type === 'sample')!;
    expect(sample.type === 'sample' && sample.frames.length === 9 && sample.pieces?.length === config.vocab).toBe(true);
    run.release();

    const saved = (await sink.load())!;
    expect(saved.meta.step).toBe(3);
    const more: RunEvent[] = [];
    const q = prepareRun(new CpuBackend(), { text, tokenizer, spec: resumeSpec(saved, train), resume: saved });
    const resumed = new Run(q.trainer, options(more, sink, { runId: 'run-2', resumed: true }));
    expect(await resumed.start()).toEqual({ type: 'done', step: 8 });
    expect(more[0]).toMatchObject({ type: 'started', runId: 'run-2', kind: 'flm', step: 3, steps: 8 });
    const losses = new Map([...lossesByStep(events), ...lossesByStep(more)]);
    expect(losses).toEqual(a.losses);
    const last = (await sink.load())!;
    expect(last.params).toEqual(a.last.params);
    expect(last.ema).toEqual(a.last.ema);
    expect(last.meta.lossHistory!.map((x) => x.loss)).toEqual([...a.losses.values()]);
  });

  it('a non-finite loss stops the run, rolls back to the last stored checkpoint and keeps it', async () => {
    const events: RunEvent[] = [], sink = new MemorySink();
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const run = new Run(p.trainer, options(events, sink, {
      saveEvery: 2,
      emit: (e) => {
        events.push(e);
        if (e.type === 'step' && e.step === 3) run.trainer.backend.write(run.trainer.params, new Float32Array(run.trainer.params.size).fill(NaN));
      },
    }));
    const outcome = await run.start({ saveFirst: true });
    expect(outcome).toMatchObject({ type: 'rolled-back', step: 2, at: 4 });
    expect(outcome.type === 'rolled-back' && Number.isNaN(outcome.loss)).toBe(true);
    const back = events[events.length - 1];
    expect(back).toMatchObject({ type: 'rolled-back', runId: 'run-1', step: 2 });
    expect(back.type === 'rolled-back' && back.message).toMatch(/^The loss became NaN at step 4\. Training paused and rolled back to the last checkpoint \(step 2\)/);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.type === 'checkpoint' && e.info.step)).toEqual([0, 2]);
    const kept = (await sink.load())!;
    expect(kept.meta.step).toBe(2);
    expect(kept.params.every(Number.isFinite)).toBe(true);
    // Continuing from it is the uninterrupted run.
    const more: RunEvent[] = [];
    const q = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm, resume: kept });
    await new Run(q.trainer, options(more, sink, { resumed: true })).start();
    expect(new Map([...lossesByStep(events)].filter(([s]) => s <= 2).concat([...lossesByStep(more)]))).toEqual((await straightRun()).losses);
  });

  it('a lost device: a fresh one, the last checkpoint, and on to the same losses', async () => {
    const events: RunEvent[] = [], sink = new MemorySink();
    const first = new LosableBackend();
    const p = prepareRun(first, { text, tokenizer, spec: flm });
    const backends: LosableBackend[] = [];
    const run = new Run(p.trainer, options(events, sink, {
      saveEvery: 2,
      recovery: {
        lost: async (_b, e) => (e instanceof FakeDeviceLost ? e : null),
        renew: async () => { const b = new LosableBackend(); backends.push(b); return b; },
        rebuild: p.rebuild,
      },
      emit: (e) => { events.push(e); if (e.type === 'step' && e.step === 5 && run.recoveries === 0) first.lost = true; },
    }));
    expect(await run.start({ saveFirst: true })).toEqual({ type: 'done', step: 8 });
    expect(backends).toHaveLength(1);
    expect(run.trainer.backend).toBe(backends[0]);
    const recovering = events.find((e) => e.type === 'recovering')!;
    expect(recovering).toMatchObject({ runId: 'run-1', step: 4 });
    expect(recovering.type === 'recovering' && recovering.message)
      .toMatch(/^The GPU device was lost \(destroyed\): fake loss for a test\. Recovered automatically: .* from the checkpoint at step 4\.$/);
    const started = events.filter((e) => e.type === 'started');
    expect(started.map((e) => e.type === 'started' && e.step)).toEqual([0, 4]);
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step)).toEqual([1, 2, 3, 4, 5, 5, 6, 7, 8]);
    expect(lossesByStep(events)).toEqual((await straightRun()).losses);
  });

  it(`a device lost again and again: ${MAX_RECOVERIES} recoveries, then a clear error`, async () => {
    const events: RunEvent[] = [], sink = new MemorySink();
    const dead = () => Object.assign(new LosableBackend(), { lost: true });
    const p = prepareRun(new LosableBackend(), { text, tokenizer, spec: flm });
    const run = new Run(p.trainer, options(events, sink, {
      saveEvery: 2,
      recovery: { lost: async (_b, e) => (e instanceof FakeDeviceLost ? e : null), renew: async () => dead(), rebuild: p.rebuild },
      emit: (e) => { events.push(e); if (e.type === 'step' && e.step === 3) (run.trainer.backend as LosableBackend).lost = true; },
    }));
    const outcome = await run.start({ saveFirst: true });
    expect(outcome).toMatchObject({ type: 'failed', code: 'device-lost' });
    expect(run.recoveries).toBe(MAX_RECOVERIES);
    expect(events.filter((e) => e.type === 'recovering')).toHaveLength(MAX_RECOVERIES);
    const error = events[events.length - 1];
    expect(error).toMatchObject({ type: 'error', runId: 'run-1', code: 'device-lost' });
    expect(error.type === 'error' && error.message).toMatch(/^The GPU device was lost 4 times in this run, so training stopped; Resume continues from the last checkpoint \(step 2\)\. The GPU device was lost/);
  });

  it('an error that is not a lost device ends the run with an error event', async () => {
    const events: RunEvent[] = [];
    const sink = new MemorySink();
    sink.save = async () => { throw new Error('the disk is full'); };
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
    const outcome = await new Run(p.trainer, options(events, sink, {
      recovery: { lost: async () => null, renew: async () => new CpuBackend(), rebuild: p.rebuild },
    })).start({ saveFirst: true });
    expect(outcome).toMatchObject({ type: 'failed', code: 'failed', message: 'the disk is full' });
    expect(events.map((e) => e.type)).toEqual(['started', 'error']);
  });

  it('every trainer runs through the same loop: a judge (no previews) and a stage-1 distillation (one-step previews)', async () => {
    const judge = await straightRun({ kind: 'judge', config: judgeConfig(config), train }, { sampleEvery: 2 });
    expect(judge.last.meta.kind).toBe('judge');
    expect(judge.events.some((e) => e.type === 'sample')).toBe(false);

    const f = (await straightRun()).last;
    const events: RunEvent[] = [], sink = new MemorySink();
    const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: { kind: 'distill', stage: 1, teachers: { f }, train } });
    await new Run(p.trainer, options(events, sink, { target: 2, sampleEvery: 2 })).start();
    expect(events[0]).toMatchObject({ type: 'started', kind: 'flowmap' });
    const sample = events.find((e) => e.type === 'sample');
    expect(sample?.type === 'sample' && sample.frames.length).toBe(2);
    const g = (await sink.load())!;
    expect(g.meta.kind).toBe('flowmap');
    expect(g.meta.distill?.stage).toBe(1);
  });

  it('a run slot runs one run at a time and keeps a pause sent while a run is set up', async () => {
    const slot = new RunSlot();
    const events: RunEvent[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    const launched = slot.launch(async () => {
      slot.pause();
      const p = prepareRun(new CpuBackend(), { text, tokenizer, spec: flm });
      return new Run(p.trainer, options(events, new MemorySink(), { emit: (e) => { events.push(e); if (e.type === 'paused') done(); } }));
    });
    await expect(slot.launch(async () => { throw new Error('not reached'); })).rejects.toThrow(/already going/);
    await launched;
    await finished;
    expect(events.filter((e) => e.type === 'step')).toHaveLength(1);
  });
});
