/**
 * The Evaluate view's sweep as a pure function of the evaluation worker's
 * events (rows as they finish, progress, the saved result) and of what the
 * UI asked for; and the checks of a request before it is sent.
 */
import type { EvalProgress, EvalRow } from '../../eval/sweep.ts';
import type { EvalEvent, EvalRequest, SavedEval, StoredModelSource } from '../../../workers/protocol.ts';
import { parseSteps } from './sample.ts';

/** 'stopped': the user stopped the sweep (not an error); the rows so far are shown, not saved. */
export type EvalStatus = 'idle' | 'running' | 'stopping' | 'stopped' | 'done' | 'error';

export interface EvalRunState {
  status: EvalStatus;
  message: string | null;
  rows: EvalRow[];
  result: SavedEval | null;
  progress: EvalProgress | null;
  /** performance.now() when the sweep started. */
  startedAt: number | null;
}

export type EvalAction =
  | EvalEvent
  | { type: 'requested'; at: number }
  | { type: 'stopping' }
  /** The request was refused before it reached the worker, or the call threw. */
  | { type: 'refused'; message: string }
  /** The saved evaluation of the chosen pair (null: none). */
  | { type: 'saved'; result: SavedEval | null };

export const initialEvalRun: EvalRunState = { status: 'idle', message: null, rows: [], result: null, progress: null, startedAt: null };

export function reduceEval(s: EvalRunState, a: EvalAction): EvalRunState {
  switch (a.type) {
    case 'requested':
      return { status: 'running', message: null, rows: [], result: null, progress: null, startedAt: a.at };
    case 'stopping':
      return { ...s, status: 'stopping' };
    case 'refused':
      return { ...s, status: s.status === 'running' || s.status === 'stopping' ? 'error' : s.status, message: a.message, progress: null };
    case 'saved':
      // Over a stopped sweep's rows: those are gone, and with them the note that they were stopped.
      return s.status === 'running' ? s : { ...s, status: s.status === 'stopped' ? 'idle' : s.status, result: a.result, rows: a.result?.rows ?? [] };
    case 'started':
      return s;
    case 'progress': {
      const row = a.progress.result;
      return { ...s, progress: a.progress, rows: row ? [...s.rows, row] : s.rows };
    }
    case 'done':
      return { ...s, result: a.result, rows: a.result.rows, status: 'done', progress: null };
    case 'stopped':
      return { ...s, status: 'stopped', progress: null, message: null };
    case 'error':
      return { ...s, status: 'error', message: a.message, progress: null };
  }
}

export interface EvalSettings { samples: number; seed: number; stepsFlm: string; stepsFmlm: string }

/**
 * The settings a saved result was computed with (its step counts read from
 * its rows), for the form beside it; a model the result has no rows of keeps
 * the step counts of `current`.
 */
export function resultSettings(r: SavedEval, current: EvalSettings): EvalSettings {
  const steps = (kind: 'flm' | 'fmlm', keep: string) => {
    const n = r.rows.filter((x) => x.model !== 'data' && (x.model === 'flm') === (kind === 'flm') && x.steps !== null).map((x) => x.steps);
    return n.length ? n.join(', ') : keep;
  };
  return { samples: r.samples, seed: r.seed, stepsFlm: steps('flm', current.stepsFlm), stepsFmlm: steps('fmlm', current.stepsFmlm) };
}

/** Whether the form's settings are those of the result shown (step lists compared as numbers). */
export function sameSettings(a: EvalSettings, b: EvalSettings): boolean {
  const list = (t: string) => JSON.stringify(parseSteps(t));
  return a.samples === b.samples && a.seed === b.seed && list(a.stepsFlm) === list(b.stepsFlm) && list(a.stepsFmlm) === list(b.stepsFmlm);
}

/** The request for a sweep of these models with these settings, or why it cannot be sent. */
export function checkEvalRequest(
  s: EvalSettings, flm: StoredModelSource | null, fmlm: StoredModelSource | null, judge: StoredModelSource | null,
): EvalRequest | string {
  if (!judge) return 'Pick a judge (the bundled one, or train one with `npm run flm -- train-judge`).';
  const stepsFlm = flm ? parseSteps(s.stepsFlm) : [];
  const stepsFmlm = fmlm ? parseSteps(s.stepsFmlm) : [];
  if (!stepsFlm || !stepsFmlm) return 'Step counts: whole numbers from 1 to 1024, separated by commas.';
  if (!Number.isInteger(s.samples) || s.samples < 1 || s.samples > 1024) return 'Samples per row: a whole number from 1 to 1024.';
  return { flm, fmlm, judge, samples: s.samples, seed: s.seed, stepsFlm, stepsFmlm };
}
