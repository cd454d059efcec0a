import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../workers/protocol.ts';
import { changesCheckpoints, continueTarget, emptyRun, idleRun, isBusy, reduceTrain, type RunStatus, type TrainAction, type TrainRun } from '../../src/ui/reducers/train.ts';

const runId = 'r1';
const started: TrainEvent = {
  type: 'started', runId, checkpointId: 'c1', name: 'FMLM of FLM micro', kind: 'fmlm', step: 10, steps: 40, params: 1000, vocab: 64,
  memoryBytes: 2 ** 20, backend: 'CPU', unigramEntropy: 3.1, history: [{ step: 10, loss: 2 }],
};
/** Steps of the run started at step 10 as src/run/loop.ts reports them: the first took 2 s, each later one 0.1 s; 500 tokens a step. */
const TOKENS = 500;
const elapsedAt = (n: number) => 2 + 0.1 * (n - 11);
const step = (n: number, loss: number, valCe?: number, steps = 40): TrainEvent => ({
  type: 'step', runId, step: n, steps, loss, ...(valCe !== undefined ? { valCe } : {}),
  tokensPerS: ((n - 10) * TOKENS) / elapsedAt(n), etaS: (elapsedAt(n) / (n - 10)) * (steps - n),
});
const reduce = (s: TrainRun, ...actions: TrainAction[]) => actions.reduce(reduceTrain, s);

describe('the training run reducer', () => {
  it('starts: a fresh request forgets the previous run, a resume keeps it until the worker says started', () => {
    const old = reduce(idleRun, started, step(11, 1.9));
    expect(reduceTrain(old, { type: 'requested', fresh: true })).toEqual({ status: 'starting', message: null, notice: null, run: emptyRun });
    expect(reduceTrain({ ...old, message: 'x' }, { type: 'requested', fresh: false })).toMatchObject({ status: 'starting', message: null, run: old.run });
    const s = reduceTrain(idleRun, started);
    expect(s.status).toBe('training');
    expect(s.run).toMatchObject({ checkpointId: 'c1', kind: 'fmlm', step: 10, steps: 40, params: 1000, loss: null, history: [{ step: 10, loss: 2 }] });
  });

  it('records steps: loss, the last validation figure, throughput and the loss history', () => {
    const s = reduce(idleRun, started, step(11, 1.9, 2.5), step(12, 1.8));
    expect(s.run).toMatchObject({ step: 12, loss: 1.8, valCe: 2.5 });
    expect(s.run.history).toEqual([{ step: 10, loss: 2 }, { step: 11, loss: 1.9, valCe: 2.5 }, { step: 12, loss: 1.8 }]);
  });

  it('measures tokens/s, ms/step and the ETA without the cold first step of a run or a resume', () => {
    // The first step (2 s of shader compilation) gives no rate: one step is all compilation.
    const first = reduce(idleRun, started, step(11, 1.9));
    expect(first.run).toMatchObject({ tokensPerS: null, msPerStep: null, etaS: null });
    // Then 0.1 s a step: 5000 tokens/s, 100 ms/step, 2.8 s for the 28 steps left (the worker's own figures: 682 tokens/s, ETA 20.5 s).
    const s = reduce(first, step(12, 1.8), step(13, 1.7));
    expect(s.run.tokensPerS).toBeCloseTo(5000, 6);
    expect(s.run.msPerStep).toBeCloseTo(100, 6);
    expect(s.run.etaS).toBeCloseTo(2.7, 6);
    // At the target (no time left to report) the rate still comes from the first step's figures.
    const end = reduce(idleRun, { ...started, steps: 14 }, step(11, 1.9, undefined, 14), step(12, 1.8, undefined, 14), step(14, 1.6, undefined, 14));
    expect(end.run).toMatchObject({ step: 14 });
    expect(end.run.tokensPerS).toBeCloseTo(5000, 6);
    expect(end.run.etaS).toBe(0);
    // A resume starts measuring again.
    const resumed = reduce(s, { type: 'requested', fresh: false }, { ...started, step: 13 });
    expect(resumed.run).toMatchObject({ tokensPerS: null, msPerStep: null, etaS: null, warmFrom: null, startStep: 13 });
  });

  it('says what a Resume trains up to: the Steps setting, or that many steps more once reached', () => {
    expect(continueTarget(40, 200)).toBe(200);
    expect(continueTarget(200, 200)).toBe(400);
    expect(continueTarget(250, 100)).toBe(350);
    expect(continueTarget(0, Number.NaN)).toBe(1);
  });

  it('forgets a failed run\'s error once a setting changes (a preset, a field, the corpus), not a paused run\'s note', () => {
    const failed = reduce(idleRun, { type: 'requested', fresh: true }, { type: 'failed', message: 'hidden size 30 is not a multiple of 4 heads' });
    expect(reduceTrain(failed, { type: 'edited' })).toMatchObject({ status: 'idle', message: null });
    const rolled = reduce(idleRun, started, step(11, 1.9), { type: 'rolled-back', runId, step: 11, message: 'NaN at 12' });
    expect(reduceTrain(rolled, { type: 'edited' })).toBe(rolled);
    const training = reduceTrain(idleRun, started);
    expect(reduceTrain(training, { type: 'edited' })).toBe(training);
  });

  it('keeps the preview sample and the pieces sent once per run', () => {
    const s = reduce(idleRun, started, { type: 'sample', runId, step: 20, text: 'abc', frames: [], pieces: ['a', 'b'] }, { type: 'sample', runId, step: 40, text: 'abd', frames: [] });
    expect(s.run.sample).toEqual({ step: 40, text: 'abd', frames: [] });
    expect(s.run.pieces).toEqual(['a', 'b']);
  });

  it('pauses, finishes, fails and recovers', () => {
    const s = reduceTrain(idleRun, started);
    expect(reduce(s, { type: 'pausing' }).status).toBe('pausing');
    expect(reduce(s, { type: 'pausing' }, { type: 'paused', runId, step: 12 }).status).toBe('paused');
    expect(reduce(s, { type: 'done', runId, step: 40 }).status).toBe('done');
    expect(reduce(s, { type: 'error', runId, code: 'device-lost', message: 'gone' })).toMatchObject({ status: 'error', message: 'gone' });
    expect(reduce(idleRun, { type: 'requested', fresh: true }, { type: 'failed', message: 'busy' })).toMatchObject({ status: 'error', message: 'busy' });
    expect(reduce(s, { type: 'recovering', runId, step: 10, message: 'new device' })).toMatchObject({ status: 'training', notice: 'new device' });
  });

  it('rolls back to the last checkpoint: paused there, the later history dropped', () => {
    const s = reduce(idleRun, started, step(11, 1.9), step(12, Number.NaN), { type: 'rolled-back', runId, step: 11, message: 'NaN at 12' });
    expect(s).toMatchObject({ status: 'paused', message: 'NaN at 12' });
    expect(s.run).toMatchObject({ step: 11, loss: null });
    expect(s.run.history.map((p) => p.step)).toEqual([10, 11]);
  });

  it('says which events change the stored checkpoints, and when a run holds the worker', () => {
    expect(changesCheckpoints({ type: 'checkpoint', runId, info: { id: 'c1', name: 'x', kind: 'flm', step: 20, bytes: 1, createdAt: '', updatedAt: '', rev: 1 } })).toBe(true);
    expect(changesCheckpoints({ type: 'rolled-back', runId, step: 1, message: '' })).toBe(true);
    expect(changesCheckpoints(step(1, 1))).toBe(false);
    const busy: RunStatus[] = ['starting', 'training', 'pausing'], free: RunStatus[] = ['idle', 'paused', 'done', 'error'];
    expect(busy.every(isBusy)).toBe(true);
    expect(free.some(isBusy)).toBe(false);
  });
});
