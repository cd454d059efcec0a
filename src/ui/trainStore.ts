/**
 * The Train and Distill views' state: the run's settings (corpus, model,
 * steps, backend, tokenizer), the run as the training worker reports it
 * (reducers/train.ts), the stored checkpoints, and the presets and size
 * estimate the worker computes for the chosen model.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { CheckpointInfo } from '../io/checkpointStore.ts';
import type { TokenizerKind } from '../data/tokenizer.ts';
import type {
  BackendPreference, CorpusSource, DistillRequest, ModelChoice, ModelEstimate, PresetInfo, TrainEvent,
} from '../../workers/protocol.ts';
import { changesCheckpoints, idleRun, reduceTrain, type TrainAction, type TrainRun } from './reducers/train.ts';
import { exportFileName, uniqueName } from './checkpointNames.ts';
import { checkpoints, trainer } from './workers.ts';

export type { RunState, RunStatus } from './reducers/train.ts';

/** Vocabulary used for the size estimate before the corpus is tokenized (characters of English text). */
export const EST_VOCAB = 96;

interface TrainState extends TrainRun {
  corpus: CorpusSource;
  corpusLabel: string;
  model: ModelChoice;
  steps: number;
  backend: BackendPreference;
  tokenizer: TokenizerKind;
  checkpoints: CheckpointInfo[];
  /** The named model sizes (from the training worker). */
  presets: PresetInfo[];
  /** Shape, parameters and memory of the chosen model at EST_VOCAB (from the training worker). */
  estimate: ModelEstimate | null;
  setCorpus(c: CorpusSource, label: string): void;
  setModel(m: ModelChoice): void;
  setSteps(n: number): void;
  setBackend(b: BackendPreference): void;
  setTokenizer(t: TokenizerKind): void;
  /** Ask the worker for the presets and the chosen model's estimate. */
  loadPresets(): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  resume(id: string, steps: number): Promise<void>;
  refresh(): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
  exportFile(id: string): Promise<{ name: string; bytes: ArrayBuffer }>;
  importFile(file: File): Promise<void>;
  injectFault(kind: 'nan-weights' | 'device-loss'): Promise<void>;
  /** Start a distillation stage in the training worker (progress, chart and checkpoints as for training). */
  distill(req: Omit<DistillRequest, 'runId' | 'saveEvery' | 'sampleEvery' | 'backend'>): Promise<void>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The backend a `?backend=` URL asks for (auto by default). */
function backendFromUrl(): BackendPreference {
  const b = new URLSearchParams(globalThis.location?.search).get('backend');
  return b === 'cpu' || b === 'webgpu' || b === 'wasm' ? b : 'auto';
}

export const useTrain = create<TrainState>((set, get) => {
  const dispatch = (a: TrainAction) => {
    set((s) => reduceTrain(s, a));
    if (changesCheckpoints(a)) void get().refresh();
  };
  /** The run this tab started last: events of any other run are ignored. */
  let runId = '', runs = 0;
  const newRun = () => (runId = `${Date.now().toString(36)}-${++runs}`);
  const events = Comlink.proxy((e: TrainEvent) => { if (e.runId === runId) dispatch(e); });
  /** The user's text is sent as a copy: the store keeps its bytes for a later resume. */
  const copy = (c: CorpusSource): CorpusSource => (c.kind === 'bytes' ? { ...c, bytes: c.bytes.slice(0) } : c);
  /** A new run's name: none of the stored checkpoints' (every micro run on the Brown corpus had the same one). */
  const freshName = (base: string) => uniqueName(base, get().checkpoints.map((c) => c.name));
  let estimating = 0;
  const estimate = async () => {
    const mine = ++estimating;
    try {
      const e = await trainer().estimate(get().model, EST_VOCAB);
      if (mine === estimating) set({ estimate: e });
    } catch {
      if (mine === estimating) set({ estimate: null });
    }
  };

  return {
    ...idleRun,
    corpus: { kind: 'bundled', id: 'brown' },
    corpusLabel: 'Brown corpus (bundled)',
    model: { preset: 'micro' },
    steps: 200,
    backend: backendFromUrl(),
    tokenizer: 'char',
    checkpoints: [],
    presets: [],
    estimate: null,
    setCorpus: (corpus, corpusLabel) => { set({ corpus, corpusLabel }); dispatch({ type: 'edited' }); },
    setModel: (model) => { set({ model }); dispatch({ type: 'edited' }); void estimate(); },
    setSteps: (steps) => { set({ steps }); dispatch({ type: 'edited' }); },
    setBackend: (backend) => { set({ backend }); dispatch({ type: 'edited' }); },
    setTokenizer: (tokenizer) => { set({ tokenizer }); dispatch({ type: 'edited' }); },
    async loadPresets() {
      try {
        if (!get().presets.length) set({ presets: await trainer().presets() });
      } catch (e) {
        set({ message: `Could not list the presets: ${message(e)}` });
      }
      await estimate();
    },
    async start() {
      const { corpus, model, steps, corpusLabel, backend, tokenizer } = get();
      dispatch({ type: 'requested', fresh: true });
      try {
        await trainer().start({
          runId: newRun(), backend, tokenizer, corpus: copy(corpus), model, steps, name: freshName(`${model.preset} on ${corpusLabel}`),
          saveEvery: 20, sampleEvery: 20,
        }, events);
      } catch (e) {
        dispatch({ type: 'failed', message: message(e) });
      }
    },
    async pause() {
      dispatch({ type: 'pausing' });
      await trainer().pause();
    },
    async resume(id, steps) {
      dispatch({ type: 'requested', fresh: false });
      try {
        const corpus = get().corpus;
        await trainer().resume({ runId: newRun(), checkpointId: id, steps, corpus: corpus.kind === 'bytes' ? copy(corpus) : undefined, backend: get().backend }, events);
      } catch (e) {
        dispatch({ type: 'failed', message: message(e) });
      }
    },
    async refresh() {
      try {
        set({ checkpoints: await checkpoints().list() });
      } catch (e) {
        set({ message: `Could not read stored checkpoints: ${message(e)}` });
      }
    },
    async rename(id, name) { await checkpoints().rename(id, name); await get().refresh(); },
    async remove(id) { await checkpoints().remove(id); await get().refresh(); },
    async exportFile(id) {
      const info = get().checkpoints.find((c) => c.id === id);
      return { name: exportFileName(info?.name ?? 'checkpoint', info?.step ?? 0), bytes: await checkpoints().exportFile(id) };
    },
    async importFile(file) {
      try {
        const bytes = await file.arrayBuffer();
        await checkpoints().importFile(Comlink.transfer(bytes, [bytes]), file.name.replace(/\.safetensors$/i, ''));
        set({ message: null });
        await get().refresh();
      } catch (e) {
        set({ message: `Import failed: ${message(e)}` });
      }
    },
    async distill(req) {
      dispatch({ type: 'requested', fresh: true });
      try {
        const corpus = get().corpus;
        await trainer().distill({
          ...req, name: freshName(req.name), runId: newRun(), backend: get().backend, saveEvery: 20, sampleEvery: 10,
          ...(corpus.kind === 'bytes' ? { corpus: copy(corpus) } : {}),
        }, events);
      } catch (e) {
        dispatch({ type: 'failed', message: message(e) });
      }
    },
    async injectFault(kind) {
      try {
        await trainer().injectFault(kind);
      } catch (e) {
        set({ message: `Could not inject the fault: ${message(e)}` });
      }
    },
  };
});
