/**
 * A training or distillation run as the Train and Distill views show it:
 * status, messages and the run's figures, as a pure function of the events
 * the training worker sends (and of what the UI asked for before it answered).
 */
import type { LossPoint } from '../../io/checkpoint.ts';
import type { FrameSummary } from '../../sampling/frames.ts';
import type { ModelKind, TrainEvent } from '../../../workers/protocol.ts';

export type RunStatus = 'idle' | 'starting' | 'training' | 'pausing' | 'paused' | 'done' | 'error';

export interface RunState {
  checkpointId: string | null;
  name: string;
  /** What the run trains: an FLM, a stage-1 flow map or a stage-2 FMLM. */
  kind: ModelKind;
  step: number;
  steps: number;
  loss: number | null;
  valCe: number | null;
  /** Throughput, time per step and time left, measured from the end of the run's first step (null until its second). */
  tokensPerS: number | null;
  msPerStep: number | null;
  etaS: number | null;
  /** The step the run (or resume) started from. */
  startStep: number;
  /** The end of the run's first step, on the worker's clock: the cold step (shader compilation) is left out of the rates. */
  warmFrom: WarmBase | null;
  params: number;
  vocab: number;
  memoryBytes: number;
  backend: string;
  unigramEntropy: number | null;
  history: LossPoint[];
  sample: { step: number; text: string; frames: FrameSummary[] } | null;
  /** The tokens' display strings (sent with the first preview of a run). */
  pieces: string[] | null;
}

/** Where the rates are measured from: the first step of a run, its time since the run started and the tokens per step. */
export interface WarmBase { step: number; elapsedS: number; tokensPerStep: number }

export interface TrainRun {
  status: RunStatus;
  /** Why the run stopped (an error, a roll-back). */
  message: string | null;
  /** What the studio did on its own (e.g. recovered from a lost GPU device). */
  notice: string | null;
  run: RunState;
}

/**
 * What the UI does around the worker's events: start a run (`fresh`: a new
 * one, else a resume), ask it to pause; `failed`: the call itself threw.
 */
export type TrainAction = TrainEvent | { type: 'requested'; fresh: boolean } | { type: 'pausing' } | { type: 'failed'; message: string }
  /** The user changed a setting (preset, model field, corpus, steps…): a message about the old settings no longer applies. */
  | { type: 'edited' };

export const emptyRun: RunState = {
  checkpointId: null, name: '', kind: 'flm', step: 0, steps: 0, loss: null, valCe: null, tokensPerS: null, msPerStep: null, etaS: null,
  startStep: 0, warmFrom: null, params: 0, vocab: 0, memoryBytes: 0, backend: '', unigramEntropy: null, history: [], sample: null, pieces: null,
};

export const idleRun: TrainRun = { status: 'idle', message: null, notice: null, run: emptyRun };

/** Whether a run holds the training worker (its settings are locked). */
export const isBusy = (status: RunStatus): boolean => status === 'training' || status === 'starting' || status === 'pausing';

type StepEvent = Extract<TrainEvent, { type: 'step' }>;

/**
 * The run's rates without its first step. The worker reports rates since the
 * run started: tokensPerS = done·T/E and etaS = E/done·(steps − step), with E
 * the seconds since the start, done the steps since then and T the tokens per
 * step; so the first step gives E₁ and T, and each later one its E. The first
 * step of a run (or a resume) compiles the GPU pipelines, so rates that
 * include it read far too slow (71 tokens/s for a run that does thousands).
 */
export function warmRates(run: RunState, e: StepEvent): Pick<RunState, 'tokensPerS' | 'msPerStep' | 'etaS' | 'warmFrom'> {
  const done = e.step - run.startStep, left = e.steps - e.step;
  const base = run.warmFrom;
  if (!base) {
    // The first step: remember when it ended; no rate yet (one step is all compilation).
    if (done <= 0 || left <= 0 || !(e.tokensPerS > 0) || !(e.etaS > 0)) return { tokensPerS: null, msPerStep: null, etaS: null, warmFrom: null };
    const elapsedS = (e.etaS * done) / left;
    return { tokensPerS: null, msPerStep: null, etaS: null, warmFrom: { step: e.step, elapsedS, tokensPerStep: (e.tokensPerS * elapsedS) / done } };
  }
  const steps = e.step - base.step;
  const dt = (done * base.tokensPerStep) / e.tokensPerS - base.elapsedS;
  if (steps <= 0 || !(dt > 0)) return { tokensPerS: run.tokensPerS, msPerStep: run.msPerStep, etaS: run.etaS, warmFrom: base };
  return { tokensPerS: (steps * base.tokensPerStep) / dt, msPerStep: (1000 * dt) / steps, etaS: (dt / steps) * Math.max(0, left), warmFrom: base };
}

export function reduceTrain(s: TrainRun, e: TrainAction): TrainRun {
  const run = s.run;
  switch (e.type) {
    case 'requested':
      return { status: 'starting', message: null, notice: null, run: e.fresh ? emptyRun : run };
    case 'pausing':
      return { ...s, status: 'pausing' };
    case 'edited':
      // A run that failed failed with the settings it had (a paused run's roll-back note stays).
      return s.status === 'error' ? { ...s, status: 'idle', message: null } : s;
    case 'started':
      return {
        ...s, status: 'training', message: null,
        run: {
          ...emptyRun, checkpointId: e.checkpointId, name: e.name, kind: e.kind, step: e.step, steps: e.steps, params: e.params,
          vocab: e.vocab, memoryBytes: e.memoryBytes, backend: e.backend, unigramEntropy: e.unigramEntropy, history: e.history, startStep: e.step,
        },
      };
    case 'step': {
      const point: LossPoint = { step: e.step, loss: e.loss, ...(e.valCe !== undefined ? { valCe: e.valCe } : {}) };
      return {
        ...s,
        run: { ...run, step: e.step, steps: e.steps, loss: e.loss, valCe: e.valCe ?? run.valCe, ...warmRates(run, e), history: [...run.history, point] },
      };
    }
    case 'sample':
      return { ...s, run: { ...run, sample: { step: e.step, text: e.text, frames: e.frames }, pieces: e.pieces ?? run.pieces } };
    case 'checkpoint':
      return s;
    case 'paused':
      return { ...s, status: 'paused' };
    case 'done':
      return { ...s, status: 'done' };
    case 'error':
    case 'failed':
      return { ...s, status: 'error', message: e.message };
    case 'rolled-back':
      return {
        ...s, status: 'paused', message: e.message,
        run: { ...run, step: e.step, loss: null, history: run.history.filter((p) => p.step <= e.step) },
      };
    case 'recovering':
      return { ...s, notice: e.message };
  }
}

/**
 * The step a Resume or Continue trains up to: the Steps setting when the
 * model has not reached it, else that many steps more (a model at step 200
 * with Steps 200 continues to 400). The button says the number.
 */
export const continueTarget = (step: number, setting: number): number => {
  const n = Math.max(1, Math.floor(Number.isFinite(setting) ? setting : 1));
  return n > step ? n : step + n;
};

/** Events after which the list of stored checkpoints has changed. */
export const changesCheckpoints = (e: TrainAction): boolean => e.type === 'checkpoint' || e.type === 'rolled-back';
