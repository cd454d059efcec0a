/**
 * The Sample view's state: which model, the sampling settings (mirrored in
 * the URL so a reload reproduces the run), the recorded frames of the last
 * run, the scrubber position, and the side-by-side step-count comparison.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { FrameSummary } from '../sampling/frames.ts';
import type { SampleRun, SampleSettings } from '../sampling/session.ts';
import type { BackendPreference, LoadedModel, ModelEntry, ModelSource } from '../../workers/protocol.ts';
import { sampler } from './workers.ts';

export type SampleStatus = 'idle' | 'loading' | 'ready' | 'sampling' | 'done' | 'error';
export type CellMode = 'prediction' | 'state';
export type HeatMode = 'entropy' | 'final';

export interface CompareColumn { label: string; model: 'this' | 'teacher'; steps: number; texts: string[]; msPerStep: number; msTotal: number }

interface SampleState {
  status: SampleStatus;
  message: string | null;
  models: ModelEntry[];
  /** The chosen model as a URL-safe key: `bundled:<file>`, `stored:<id>` or `file:<name>`. */
  modelKey: string | null;
  model: LoadedModel | null;
  backend: BackendPreference;
  settings: SampleSettings;
  /** Settings and frames of the recorded run. */
  recorded: SampleSettings | null;
  frames: FrameSummary[];
  run: SampleRun | null;
  frame: number;
  playing: boolean;
  sample: number;
  position: number | null;
  cellMode: CellMode;
  heatMode: HeatMode;
  compareSteps: string;
  /** Step counts for the FLM teacher of a distilled model ('' = none). */
  teacherSteps: string;
  comparing: boolean;
  compare: CompareColumn[];
  refreshModels(): Promise<void>;
  load(key: string, file?: File): Promise<void>;
  setBackend(b: BackendPreference): Promise<void>;
  setSettings(s: Partial<SampleSettings>): void;
  generate(): Promise<void>;
  setFrame(k: number): void;
  setPlaying(p: boolean): void;
  setSample(i: number): void;
  selectPosition(p: number | null): void;
  setCellMode(m: CellMode): void;
  setHeatMode(m: HeatMode): void;
  setCompareSteps(s: string): void;
  setTeacherSteps(s: string): void;
  runCompare(): Promise<void>;
  loseDevice(): Promise<void>;
}

const DEFAULTS: SampleSettings = { steps: 8, seed: 0, count: 4, k: 8 };

function fromUrl(): { key: string | null; settings: SampleSettings; backend: BackendPreference } {
  const q = new URLSearchParams(location.search);
  const int = (name: string, d: number) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isInteger(v) && v >= 0 ? v : d;
  };
  const b = q.get('backend');
  return {
    key: q.get('model'),
    settings: { steps: int('steps', DEFAULTS.steps), seed: int('seed', DEFAULTS.seed), count: int('count', DEFAULTS.count), k: int('k', DEFAULTS.k) },
    backend: b === 'cpu' || b === 'webgpu' ? b : 'auto',
  };
}

function toUrl(s: { modelKey: string | null; settings: SampleSettings; backend: BackendPreference }): void {
  const url = new URL(location.href);
  if (s.modelKey && !s.modelKey.startsWith('file:')) url.searchParams.set('model', s.modelKey);
  else url.searchParams.delete('model');
  for (const [k, v] of Object.entries(s.settings)) url.searchParams.set(k, String(v));
  if (s.backend === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', s.backend);
  history.replaceState(null, '', url);
}

export const keyOf = (src: ModelEntry['source']): string => (src.kind === 'bundled' ? `bundled:${src.file}` : `stored:${src.id}`);

function sourceOf(key: string): ModelSource | null {
  const i = key.indexOf(':');
  const kind = key.slice(0, i), rest = key.slice(i + 1);
  if (kind === 'bundled') return { kind, file: rest };
  if (kind === 'stored') return { kind, id: rest };
  return null;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const useSample = create<SampleState>((set, get) => {
  const init = fromUrl();
  let lastFile: File | null = null;
  const persist = () => toUrl(get());
  const clearRun = { frames: [], run: null, recorded: null, frame: 0, playing: false, position: null, compare: [] };

  return {
    status: 'idle',
    message: null,
    models: [],
    modelKey: init.key,
    model: null,
    backend: init.backend,
    settings: init.settings,
    recorded: null,
    frames: [],
    run: null,
    frame: 0,
    playing: false,
    sample: 0,
    position: null,
    cellMode: 'prediction',
    heatMode: 'entropy',
    compareSteps: '1, 8, 64',
    teacherSteps: '1, 8, 64',
    comparing: false,
    compare: [],

    async refreshModels() {
      try {
        const models = await sampler().models();
        set({ models });
        const { modelKey, model, status } = get();
        if (!model && status !== 'loading') {
          const key = modelKey && models.some((m) => keyOf(m.source) === modelKey) ? modelKey : models[0] ? keyOf(models[0].source) : null;
          if (key) await get().load(key);
        }
      } catch (e) {
        set({ status: 'error', message: `Could not list models: ${message(e)}` });
      }
    },

    async load(key, file) {
      set({ status: 'loading', message: null });
      try {
        let src: ModelSource | null;
        if (file) { lastFile = file; src = { kind: 'bytes', name: file.name, bytes: await file.arrayBuffer() }; key = `file:${file.name}`; }
        else if (key.startsWith('file:') && lastFile) src = { kind: 'bytes', name: lastFile.name, bytes: await lastFile.arrayBuffer() };
        else src = sourceOf(key);
        if (!src) throw new Error(`unknown model ${key}`);
        const model = await sampler().load(src, get().backend);
        const settings = { ...get().settings, k: Math.min(get().settings.k, model.vocab) };
        set({ model, modelKey: key, settings, status: 'ready', ...clearRun, sample: 0 });
        persist();
      } catch (e) {
        // The previous model (if any) stays loaded in the worker and in the view.
        set({ status: 'error', message: `Could not load the model: ${message(e)}` });
      }
    },

    async setBackend(backend) {
      set({ backend });
      persist();
      const key = get().modelKey;
      if (key) await get().load(key);
    },

    setSettings(s) {
      set({ settings: { ...get().settings, ...s } });
      persist();
    },

    async generate() {
      const { settings, model } = get();
      if (!model) return;
      set({ status: 'sampling', message: null, ...clearRun, sample: Math.min(get().sample, settings.count - 1), recorded: { ...settings } });
      const t0 = performance.now();
      try {
        const run = await sampler().sample(settings, Comlink.proxy((f: FrameSummary) => {
          // Frame 0 starts the list (again, when the worker retried on a new GPU device).
          const frames = f.step === 0 ? [f] : [...get().frames, f];
          set({ frames, frame: frames.length - 1 });
        }));
        set({ run, status: 'done', frame: get().frames.length - 1 });
        console.info(`sampled ${settings.count}×${model.length} tokens, ${settings.steps} steps in ${(performance.now() - t0).toFixed(0)} ms`);
      } catch (e) {
        set({ status: 'error', message: `Sampling failed: ${message(e)}` });
      }
    },

    setFrame(k) { set({ frame: Math.max(0, Math.min(k, get().frames.length - 1)) }); },
    setPlaying(playing) {
      if (playing && get().frame >= get().frames.length - 1) set({ frame: 0 });
      set({ playing });
    },
    setSample(sample) { set({ sample }); },
    selectPosition(position) { set({ position }); },
    setCellMode(cellMode) { set({ cellMode }); },
    setHeatMode(heatMode) { set({ heatMode }); },
    setCompareSteps(compareSteps) { set({ compareSteps }); },
    setTeacherSteps(teacherSteps) { set({ teacherSteps }); },

    async loseDevice() {
      try {
        await sampler().injectFault('device-loss');
      } catch (e) {
        set({ message: `Could not inject the fault: ${message(e)}` });
      }
    },

    async runCompare() {
      const parse = (text: string) => text.split(/[\s,]+/).filter(Boolean).map(Number);
      const mine = parse(get().compareSteps);
      const model = get().model;
      const theirs = model?.teacher ? parse(get().teacherSteps) : [];
      if (!mine.length && !theirs.length || [...mine, ...theirs].some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) {
        set({ message: 'Step counts for the comparison: whole numbers from 1 to 1024, separated by commas.' });
        return;
      }
      const { settings } = get();
      const kind = model?.sampler.startsWith('FMLM') ? 'FMLM' : 'FLM';
      set({ comparing: true, compare: [], message: null });
      try {
        const jobs = [
          ...mine.map((steps) => ({ model: 'this' as const, steps, label: `${kind} · ${steps} step${steps === 1 ? '' : 's'}` })),
          ...theirs.map((steps) => ({ model: 'teacher' as const, steps, label: `FLM teacher · ${steps} step${steps === 1 ? '' : 's'}` })),
        ];
        for (const j of jobs) {
          const r = j.model === 'this' ? await sampler().sample({ ...settings, steps: j.steps }) : await sampler().sampleTeacher({ ...settings, steps: j.steps });
          set({ compare: [...get().compare, { ...j, texts: r.texts, msPerStep: r.msPerStep, msTotal: r.msTotal }] });
        }
      } catch (e) {
        set({ message: `Comparison failed: ${message(e)}` });
      } finally {
        set({ comparing: false });
      }
    },
  };
});
