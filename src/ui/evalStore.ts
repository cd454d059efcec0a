/**
 * The Evaluate view's state: which FLM, FMLM and judge, the sweep's
 * settings, the rows as they arrive from the evaluation worker, its
 * progress, and the last saved result of the chosen pair (reducers/eval.ts).
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { EvalEvent, StoredModelSource } from '../../workers/protocol.ts';
import { checkEvalRequest, initialEvalRun, reduceEval, resultSettings, type EvalAction, type EvalRunState } from './reducers/eval.ts';
import { evaluator } from './workers.ts';

export const FLM_STEPS = '1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024';
export const FMLM_STEPS = '1, 2, 4, 8';

export type { EvalStatus } from './reducers/eval.ts';

interface EvalState extends EvalRunState {
  samples: number;
  seed: number;
  stepsFlm: string;
  stepsFmlm: string;
  set(p: Partial<Pick<EvalState, 'samples' | 'seed' | 'stepsFlm' | 'stepsFmlm'>>): void;
  run(flm: StoredModelSource | null, fmlm: StoredModelSource | null, judge: StoredModelSource | null): Promise<void>;
  stop(): Promise<void>;
  /** Show the saved result of this pair, if any, and put the settings it was computed with in the form. */
  showSaved(flm: StoredModelSource | null, fmlm: StoredModelSource | null): Promise<void>;
  /** The shown result as a markdown table (written by the evaluation worker); null when there is none. */
  markdown(): Promise<string | null>;
}

const q = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
const qInt = (name: string, d: number) => { const v = Number(q.get(name)); return q.has(name) && Number.isInteger(v) && v > 0 ? v : d; };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const useEval = create<EvalState>((set, get) => {
  const dispatch = (a: EvalAction) => set((s) => reduceEval(s, a));
  return {
    ...initialEvalRun,
    samples: qInt('samples', 16),
    seed: qInt('seed', 1),
    stepsFlm: q.get('flmSteps') ?? FLM_STEPS,
    stepsFmlm: q.get('fmlmSteps') ?? FMLM_STEPS,

    set(p) { set(p); },

    async run(flm, fmlm, judge) {
      const req = checkEvalRequest(get(), flm, fmlm, judge);
      if (typeof req === 'string') { dispatch({ type: 'refused', message: req }); return; }
      dispatch({ type: 'requested', at: performance.now() });
      try {
        await evaluator().run(req, Comlink.proxy((e: EvalEvent) => dispatch(e)));
      } catch (e) {
        dispatch({ type: 'refused', message: message(e) });
      }
    },

    async stop() {
      dispatch({ type: 'stopping' });
      await evaluator().stop();
    },

    async showSaved(flm, fmlm) {
      if (get().status === 'running') return;
      try {
        const result = await evaluator().saved(flm, fmlm);
        if (get().status === 'running') return;
        dispatch({ type: 'saved', result });
        // The form says what the result shown was computed with (not the link's or the last run's settings).
        if (result) set(resultSettings(result, get()));
      } catch {
        dispatch({ type: 'saved', result: null });
      }
    },

    async markdown() {
      const result = get().result;
      return result ? evaluator().markdown(result) : null;
    },
  };
});
