import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../workers/protocol.ts';
import { changesCheckpoints, emptyRun, idleRun, isBusy, reduceTrain, type RunStatus, type TrainAction, type TrainRun } from '../../src/ui/reducers/train.ts';

const runId = 'r1';
const started: TrainEvent = {
  type: 'started', runId, checkpointId: 'c1', name: 'FMLM of FLM micro', kind: 'fmlm', step: 10, steps: 40, params: 1000, vocab: 64,
  memoryBytes: 2 ** 20, backend: 'CPU', unigramEntropy: 3.1, history: [{ step: 10, loss: 2 }],
};
const step = (n: number, loss: number, valCe?: number): TrainEvent =>
  ({ type: 'step', runId, step: n, steps: 40, loss, tokensPerS: 500, etaS: 3, ...(valCe !== undefined ? { valCe } : {}) });
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
    expect(s.run).toMatchObject({ step: 12, loss: 1.8, valCe: 2.5, tokensPerS: 500, etaS: 3 });
    expect(s.run.history).toEqual([{ step: 10, loss: 2 }, { step: 11, loss: 1.9, valCe: 2.5 }, { step: 12, loss: 1.8 }]);
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
