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
  tokensPerS: number | null;
  etaS: number | null;
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
export type TrainAction = TrainEvent | { type: 'requested'; fresh: boolean } | { type: 'pausing' } | { type: 'failed'; message: string };

export const emptyRun: RunState = {
  checkpointId: null, name: '', kind: 'flm', step: 0, steps: 0, loss: null, valCe: null, tokensPerS: null, etaS: null,
  params: 0, vocab: 0, memoryBytes: 0, backend: '', unigramEntropy: null, history: [], sample: null, pieces: null,
};

export const idleRun: TrainRun = { status: 'idle', message: null, notice: null, run: emptyRun };

/** Whether a run holds the training worker (its settings are locked). */
export const isBusy = (status: RunStatus): boolean => status === 'training' || status === 'starting' || status === 'pausing';

export function reduceTrain(s: TrainRun, e: TrainAction): TrainRun {
  const run = s.run;
  switch (e.type) {
    case 'requested':
      return { status: 'starting', message: null, notice: null, run: e.fresh ? emptyRun : run };
    case 'pausing':
      return { ...s, status: 'pausing' };
    case 'started':
      return {
        ...s, status: 'training', message: null,
        run: {
          ...emptyRun, checkpointId: e.checkpointId, name: e.name, kind: e.kind, step: e.step, steps: e.steps, params: e.params,
          vocab: e.vocab, memoryBytes: e.memoryBytes, backend: e.backend, unigramEntropy: e.unigramEntropy, history: e.history,
        },
      };
    case 'step': {
      const point: LossPoint = { step: e.step, loss: e.loss, ...(e.valCe !== undefined ? { valCe: e.valCe } : {}) };
      return {
        ...s,
        run: { ...run, step: e.step, steps: e.steps, loss: e.loss, valCe: e.valCe ?? run.valCe, tokensPerS: e.tokensPerS, etaS: e.etaS, history: [...run.history, point] },
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

/** Events after which the list of stored checkpoints has changed. */
export const changesCheckpoints = (e: TrainAction): boolean => e.type === 'checkpoint' || e.type === 'rolled-back';
