/**
 * The Evaluate view's state: which FLM, FMLM and judge, the sweep's
 * settings, the rows as they arrive from the evaluation worker, its
 * progress, and the last saved result of the chosen pair.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { EvalProgress, EvalRow } from '../eval/sweep.ts';
import type { EvalEvent, SavedEval, StoredModelSource } from '../../workers/protocol.ts';
import { evaluator } from './workers.ts';

export const FLM_STEPS = '1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024';
export const FMLM_STEPS = '1, 2, 4, 8';

export type EvalStatus = 'idle' | 'running' | 'stopping' | 'done' | 'error';

interface EvalState {
  status: EvalStatus;
  message: string | null;
  samples: number;
  seed: number;
  stepsFlm: string;
  stepsFmlm: string;
  rows: EvalRow[];
  result: SavedEval | null;
  progress: EvalProgress | null;
  startedAt: number | null;
  set(p: Partial<Pick<EvalState, 'samples' | 'seed' | 'stepsFlm' | 'stepsFmlm'>>): void;
  run(flm: StoredModelSource | null, fmlm: StoredModelSource | null, judge: StoredModelSource | null): Promise<void>;
  stop(): Promise<void>;
  showSaved(flm: StoredModelSource | null, fmlm: StoredModelSource | null): Promise<void>;
}

/** "1, 2, 4" → [1, 2, 4]; null when a value is not a whole number in [1, 1024]. */
export function parseSteps(text: string): number[] | null {
  const v = text.split(/[\s,]+/).filter(Boolean).map(Number);
  return v.every((n) => Number.isInteger(n) && n >= 1 && n <= 1024) ? [...new Set(v)] : null;
}

const q = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
const qInt = (name: string, d: number) => { const v = Number(q.get(name)); return q.has(name) && Number.isInteger(v) && v > 0 ? v : d; };

export const useEval = create<EvalState>((set, get) => ({
  status: 'idle',
  message: null,
  samples: qInt('samples', 16),
  seed: qInt('seed', 1),
  stepsFlm: q.get('flmSteps') ?? FLM_STEPS,
  stepsFmlm: q.get('fmlmSteps') ?? FMLM_STEPS,
  rows: [],
  result: null,
  progress: null,
  startedAt: null,

  set(p) { set(p); },

  async run(flm, fmlm, judge) {
    const { samples, seed } = get();
    const stepsFlm = flm ? parseSteps(get().stepsFlm) : [];
    const stepsFmlm = fmlm ? parseSteps(get().stepsFmlm) : [];
    if (!judge) { set({ message: 'Pick a judge (the bundled one, or train one with `npm run flm -- train-judge`).' }); return; }
    if (!stepsFlm || !stepsFmlm) { set({ message: 'Step counts: whole numbers from 1 to 1024, separated by commas.' }); return; }
    if (!Number.isInteger(samples) || samples < 1 || samples > 1024) { set({ message: 'Samples per row: a whole number from 1 to 1024.' }); return; }
    set({ status: 'running', message: null, rows: [], result: null, progress: null, startedAt: performance.now() });
    const onEvent = (e: EvalEvent) => {
      if (e.type === 'progress') {
        const done = e.progress.result;
        set({ progress: e.progress, ...(done ? { rows: [...get().rows, done] } : {}) });
      } else if (e.type === 'done') set({ result: e.result, rows: e.result.rows, status: 'done', progress: null });
      else if (e.type === 'stopped') set({ status: 'idle', progress: null, message: 'Stopped; the rows so far are shown (not saved).' });
      else if (e.type === 'error') set({ status: 'error', message: e.message, progress: null });
    };
    try {
      await evaluator().run({ flm, fmlm, judge, samples, seed, stepsFlm, stepsFmlm }, Comlink.proxy(onEvent));
    } catch (e) {
      set({ status: 'error', message: (e as Error).message, progress: null });
    }
  },

  async stop() {
    set({ status: 'stopping' });
    await evaluator().stop();
  },

  async showSaved(flm, fmlm) {
    if (get().status === 'running') return;
    try {
      const saved = await evaluator().saved(flm, fmlm);
      set({ result: saved, rows: saved?.rows ?? [] });
    } catch {
      set({ result: null, rows: [] });
    }
  },
}));
