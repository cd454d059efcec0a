import { describe, expect, it } from 'vitest';
import type { EvalProgress, EvalRow } from '../../src/eval/sweep.ts';
import type { SavedEval } from '../../workers/protocol.ts';
import { checkEvalRequest, initialEvalRun, reduceEval, resultSettings, sameSettings, type EvalAction, type EvalRunState } from '../../src/ui/reducers/eval.ts';

const row = (model: EvalRow['model'], steps: number | null): EvalRow => ({
  model, name: model, steps, samples: 4, gen_ppl: 10, nll: Math.log(10), entropy: 3, ms_per_sample: steps === null ? null : 5, example: 'x',
});
const progress = (r: number, result?: EvalRow): EvalProgress => ({ row: r, rows: 2, model: 'flm', name: 'flm', steps: 1, done: 4, samples: 4, ...(result ? { result } : {}) });
const saved: SavedEval = {
  rows: [row('data', null), row('flm', 1)], judge: { name: 'judge', step: 2000, params: 1, length: 64, vocab: 64, val_ce: 2, val_ppl: 8 }, seed: 1, batch: 4,
  models: { flm: 'flm', fmlm: null }, samples: 4, backend: 'CPU', date: '2025-01-01T00:00:00Z',
};
const reduce = (s: EvalRunState, ...actions: EvalAction[]) => actions.reduce(reduceEval, s);

describe('the evaluation reducer', () => {
  it('runs a sweep: rows as they finish, then the saved result', () => {
    const s = reduce(initialEvalRun, { type: 'requested', at: 5 }, { type: 'started', rows: 2, backend: 'CPU' },
      { type: 'progress', progress: progress(0) }, { type: 'progress', progress: progress(0, row('data', null)) });
    expect(s).toMatchObject({ status: 'running', startedAt: 5, result: null });
    expect(s.rows.map((r) => r.model)).toEqual(['data']);
    expect(s.progress?.result?.model).toBe('data');
    const done = reduceEval(s, { type: 'done', result: saved });
    expect(done).toMatchObject({ status: 'done', progress: null, result: saved, rows: saved.rows });
  });

  it('stops with the rows so far, as a state of its own and not an error; fails with a message', () => {
    const s = reduce(initialEvalRun, { type: 'requested', at: 0 }, { type: 'progress', progress: progress(0, row('data', null)) }, { type: 'stopping' });
    expect(s.status).toBe('stopping');
    const stopped = reduceEval(s, { type: 'stopped' });
    // The user asked for it: no error message (the view says "Stopped" as a status, not an alert).
    expect(stopped).toMatchObject({ status: 'stopped', progress: null, rows: [row('data', null)], message: null });
    // A saved result shown afterwards replaces the stopped rows, and the stopped state with them.
    expect(reduceEval(stopped, { type: 'saved', result: saved })).toMatchObject({ status: 'idle', rows: saved.rows });
    expect(reduceEval(stopped, { type: 'requested', at: 1 }).status).toBe('running');
    expect(reduceEval(s, { type: 'error', code: 'failed', message: 'judge missing' })).toMatchObject({ status: 'error', message: 'judge missing' });
    expect(reduceEval(s, { type: 'refused', message: 'threw' }).status).toBe('error');
    // refused before it was sent: the status stays
    expect(reduceEval(initialEvalRun, { type: 'refused', message: 'Pick a judge' })).toMatchObject({ status: 'idle', message: 'Pick a judge' });
  });

  it('shows a saved evaluation, but not over a running sweep', () => {
    expect(reduceEval(initialEvalRun, { type: 'saved', result: saved })).toMatchObject({ result: saved, rows: saved.rows });
    expect(reduceEval({ ...initialEvalRun, rows: saved.rows, result: saved }, { type: 'saved', result: null })).toMatchObject({ result: null, rows: [] });
    const running = reduceEval(initialEvalRun, { type: 'requested', at: 0 });
    expect(reduceEval(running, { type: 'saved', result: saved })).toBe(running);
  });

  it('gives the settings a saved result was computed with, to put in the form beside it', () => {
    const form = { samples: 16, seed: 7, stepsFlm: '1, 2, 4', stepsFmlm: '1, 2' };
    const both: SavedEval = { ...saved, rows: [row('data', null), row('flm', 1), row('flm', 8), row('fmlm', 1)], models: { flm: 'flm', fmlm: 'fmlm' } };
    expect(resultSettings(both, form)).toEqual({ samples: 4, seed: 1, stepsFlm: '1, 8', stepsFmlm: '1' });
    // No FMLM rows: the form's FMLM steps stay.
    expect(resultSettings(saved, form)).toEqual({ samples: 4, seed: 1, stepsFlm: '1', stepsFmlm: '1, 2' });
    expect(sameSettings(resultSettings(both, form), { samples: 4, seed: 1, stepsFlm: '1,8', stepsFmlm: ' 1 ' })).toBe(true);
    expect(sameSettings(resultSettings(both, form), form)).toBe(false);
    expect(sameSettings(resultSettings(both, form), { samples: 4, seed: 2, stepsFlm: '1, 8', stepsFmlm: '1' })).toBe(false);
  });

  it('checks a request before sending it', () => {
    const settings = { samples: 4, seed: 1, stepsFlm: '1, 8', stepsFmlm: '1' };
    const flm = { kind: 'bundled' as const, file: 'flm.safetensors' }, judge = { kind: 'bundled' as const, file: 'judge.safetensors' };
    expect(checkEvalRequest(settings, flm, null, judge)).toEqual({ flm, fmlm: null, judge, samples: 4, seed: 1, stepsFlm: [1, 8], stepsFmlm: [] });
    expect(checkEvalRequest(settings, flm, null, null)).toMatch(/Pick a judge/);
    expect(checkEvalRequest({ ...settings, stepsFlm: '1, 0' }, flm, null, judge)).toMatch(/Step counts/);
    expect(checkEvalRequest({ ...settings, stepsFlm: 'junk' }, null, null, judge)).toEqual(expect.objectContaining({ stepsFlm: [] }));
    expect(checkEvalRequest({ ...settings, samples: 0 }, flm, null, judge)).toMatch(/Samples per row/);
  });
});
