/**
 * Every model the studio can find (the bundled ones and those stored in this
 * browser), of every kind, as the sampling worker lists them: the pickers of
 * the Distill and Evaluate views choose among these.
 */
import { create } from 'zustand';
import type { ModelEntry, ModelKind } from '../../workers/protocol.ts';
import { sampler } from './workers.ts';

const ALL_KINDS: ModelKind[] = ['flm', 'flowmap', 'fmlm', 'judge'];

interface ModelListState {
  entries: ModelEntry[];
  error: string | null;
  /** List the models again (after a checkpoint was stored, renamed or deleted). */
  refresh(): Promise<void>;
}

export const useModelList = create<ModelListState>((set) => {
  let running: Promise<void> | null = null;
  let again = false;
  const list = async () => {
    try {
      set({ entries: await sampler().models(ALL_KINDS), error: null });
    } catch (e) {
      set({ error: `Could not list the models: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  return {
    entries: [],
    error: null,
    // One listing at a time; a request during one lists once more after it (it may have missed a change).
    refresh() {
      if (running) { again = true; return running; }
      running = (async () => {
        do { again = false; await list(); } while (again);
        running = null;
      })();
      return running;
    },
  };
});
