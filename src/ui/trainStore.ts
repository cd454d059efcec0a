import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { CheckpointInfo } from '../io/checkpointStore.ts';
import type { FrameSummary } from '../sampling/frames.ts';
import type { LossPoint } from '../io/checkpoint.ts';
import type { BackendPreference, CorpusSource, DistillRequest, ModelChoice, TrainEvent } from '../../workers/protocol.ts';
import { checkpoints, trainer } from './workers.ts';

export type RunStatus = 'idle' | 'starting' | 'training' | 'pausing' | 'paused' | 'done' | 'error';

export interface RunState {
  checkpointId: string | null;
  name: string;
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

interface TrainState {
  status: RunStatus;
  message: string | null;
  /** What the studio did on its own (e.g. recovered from a lost GPU device). */
  notice: string | null;
  corpus: CorpusSource;
  corpusLabel: string;
  model: ModelChoice;
  steps: number;
  backend: BackendPreference;
  tokenizer: 'char' | 'bpe';
  run: RunState;
  checkpoints: CheckpointInfo[];
  setCorpus(c: CorpusSource, label: string): void;
  setModel(m: ModelChoice): void;
  setSteps(n: number): void;
  setBackend(b: BackendPreference): void;
  setTokenizer(t: 'char' | 'bpe'): void;
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

const emptyRun: RunState = {
  checkpointId: null, name: '', step: 0, steps: 0, loss: null, valCe: null, tokensPerS: null, etaS: null,
  params: 0, vocab: 0, memoryBytes: 0, backend: '', unigramEntropy: null, history: [], sample: null, pieces: null,
};

export const useTrain = create<TrainState>((set, get) => {
  const onEvent = (e: TrainEvent) => {
    const run = get().run;
    switch (e.type) {
      case 'started':
        set({
          status: 'training', message: null,
          run: { ...emptyRun, checkpointId: e.checkpointId, name: e.name, step: e.step, steps: e.steps, params: e.params, vocab: e.vocab,
            memoryBytes: e.memoryBytes, backend: e.backend, unigramEntropy: e.unigramEntropy, history: e.history },
        });
        break;
      case 'step': {
        const history = [...run.history, { step: e.step, loss: e.loss, ...(e.valCe !== undefined ? { valCe: e.valCe } : {}) }];
        set({ run: { ...run, step: e.step, steps: e.steps, loss: e.loss, valCe: e.valCe ?? run.valCe, tokensPerS: e.tokensPerS, etaS: e.etaS, history } });
        break;
      }
      case 'sample':
        set({ run: { ...run, sample: { step: e.step, text: e.text, frames: e.frames }, pieces: e.pieces ?? run.pieces } });
        break;
      case 'checkpoint': void get().refresh(); break;
      case 'paused': set({ status: 'paused' }); break;
      case 'done': set({ status: 'done' }); break;
      case 'error': set({ status: 'error', message: e.message }); break;
      case 'rolled-back':
        set({
          status: 'paused', message: e.message,
          run: { ...run, step: e.step, loss: null, history: run.history.filter((p) => p.step <= e.step) },
        });
        void get().refresh();
        break;
      case 'recovering': set({ notice: e.message }); break;
    }
  };
  /** The run this tab started last: events of any other run are ignored. */
  let runId = '', runs = 0;
  const newRun = () => (runId = `${Date.now().toString(36)}-${++runs}`);
  const events = Comlink.proxy((e: TrainEvent) => { if (e.runId === runId) onEvent(e); });
  return {
    status: 'idle',
    message: null,
    notice: null,
    corpus: { kind: 'bundled', id: 'brown' },
    corpusLabel: 'Brown corpus (bundled)',
    model: { preset: 'micro' },
    steps: 200,
    backend: (new URLSearchParams(globalThis.location?.search).get('backend') as BackendPreference | null) ?? 'auto',
    tokenizer: 'char',
    run: emptyRun,
    checkpoints: [],
    setCorpus: (corpus, corpusLabel) => set({ corpus, corpusLabel }),
    setModel: (model) => set({ model }),
    setSteps: (steps) => set({ steps }),
    setBackend: (backend) => set({ backend }),
    setTokenizer: (tokenizer) => set({ tokenizer }),
    async start() {
      const { corpus, model, steps, corpusLabel, backend, tokenizer } = get();
      set({ status: 'starting', message: null, notice: null, run: emptyRun });
      try {
        const payload = corpus.kind === 'bytes' ? { ...corpus, bytes: corpus.bytes.slice(0) } : corpus;
        await trainer().start({
          runId: newRun(), backend, tokenizer, corpus: payload, model, steps, name: `${model.preset} on ${corpusLabel}`,
          saveEvery: 20, sampleEvery: 20,
        }, events);
      } catch (e) {
        set({ status: 'error', message: (e as Error).message });
      }
    },
    async pause() {
      set({ status: 'pausing' });
      await trainer().pause();
    },
    async resume(id, steps) {
      set({ status: 'starting', message: null, notice: null });
      try {
        const corpus = get().corpus;
        await trainer().resume({ runId: newRun(), checkpointId: id, steps, corpus: corpus.kind === 'bytes' ? { ...corpus, bytes: corpus.bytes.slice(0) } : undefined, backend: get().backend }, events);
      } catch (e) {
        set({ status: 'error', message: (e as Error).message });
      }
    },
    async refresh() {
      try {
        set({ checkpoints: await checkpoints().list() });
      } catch (e) {
        set({ message: `Could not read stored checkpoints: ${(e as Error).message}` });
      }
    },
    async rename(id, name) { await checkpoints().rename(id, name); await get().refresh(); },
    async remove(id) { await checkpoints().remove(id); await get().refresh(); },
    async exportFile(id) {
      const info = get().checkpoints.find((c) => c.id === id);
      return { name: `${(info?.name ?? 'checkpoint').replace(/[^\w.-]+/g, '_')}-step${info?.step ?? 0}.safetensors`, bytes: await checkpoints().exportFile(id) };
    },
    async importFile(file) {
      try {
        const bytes = await file.arrayBuffer();
        await checkpoints().importFile(Comlink.transfer(bytes, [bytes]), file.name.replace(/\.safetensors$/i, ''));
        set({ message: null });
        await get().refresh();
      } catch (e) {
        set({ message: `Import failed: ${(e as Error).message}` });
      }
    },
    async distill(req) {
      set({ status: 'starting', message: null, notice: null, run: emptyRun });
      try {
        const corpus = get().corpus;
        await trainer().distill({
          ...req, runId: newRun(), backend: get().backend, saveEvery: 20, sampleEvery: 10,
          ...(corpus.kind === 'bytes' ? { corpus: { ...corpus, bytes: corpus.bytes.slice(0) } } : {}),
        }, events);
      } catch (e) {
        set({ status: 'error', message: (e as Error).message });
      }
    },
    async injectFault(kind) {
      try {
        await trainer().injectFault(kind);
      } catch (e) {
        set({ message: `Could not inject the fault: ${(e as Error).message}` });
      }
    },
  };
});
