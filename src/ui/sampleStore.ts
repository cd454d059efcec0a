/**
 * The Sample view's state: which model, the sampling settings (mirrored in
 * the URL so a reload reproduces the run), and the recorded run with its
 * scrubber and comparison (reducers/sample.ts). Trajectory JSON and the
 * final-token probabilities come from the sampling worker.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { FrameSummary } from '../sampling/frames.ts';
import type { SampleSettings } from '../sampling/session.ts';
import type { BackendPreference, LoadedModel, LoadProgress, ModelEntry, ModelSource, SampleRuntime, TokenizerChoice } from '../../workers/protocol.ts';
import { download } from './download.ts';
import type { CellMode } from './components/CandidateColumns.tsx';
import { compareJobs, initialSampleRun, reduceSample, sampleQuery, type SampleAction, type SampleRunState } from './reducers/sample.ts';
import { sampler } from './workers.ts';

export type { CompareColumn, SampleStatus } from './reducers/sample.ts';
export type { CellMode };
export type HeatMode = 'entropy' | 'final';

interface SampleState extends SampleRunState {
  models: ModelEntry[];
  /** The chosen model as a URL-safe key: `bundled:<file>`, `stored:<id>` or `file:<name>`. */
  modelKey: string | null;
  model: LoadedModel | null;
  backend: BackendPreference;
  /** Who computes the network's logits: the studio's own DiT, or the model's ONNX export on onnxruntime-web. */
  runtime: SampleRuntime;
  /** The runtime of the recorded run (what the visualizer shows). */
  recordedRuntime: SampleRuntime | null;
  settings: SampleSettings;
  /** A one-step warm-up runs before the recorded run (its settings are new to the loaded model: pipelines to compile). */
  warmingUp: boolean;
  /** How long the recorded run's warm-up took (compilation, mostly; not in the run's times); null when it needed none. */
  warmUpMs: number | null;
  cellMode: CellMode;
  heatMode: HeatMode;
  compareSteps: string;
  /** Step counts for the FLM teacher of a distilled model ('' = none). */
  teacherSteps: string;
  refreshModels(): Promise<void>;
  /** Load a listed model by key, or a file the user picked or dropped (a `.safetensors` or an official `.ckpt`, read in the worker with progress). */
  load(key: string, file?: File): Promise<void>;
  /** Decode the loaded model's samples with another tokenizer (a tokenizer.json file, a name, none, or the checkpoint's own). */
  setTokenizer(choice: TokenizerChoice | { kind: 'file-pick'; file: File }): Promise<void>;
  /** Store the loaded (opened) model in this browser, so the pickers list it. */
  keep(): Promise<void>;
  /** Download the loaded model as a studio `.safetensors` (to host it for a share link). */
  saveFile(): Promise<void>;
  setBackend(b: BackendPreference): Promise<void>;
  setRuntime(r: SampleRuntime): void;
  setSettings(s: Partial<SampleSettings>): void;
  generate(): Promise<void>;
  setFrame(k: number): void;
  setPlaying(p: boolean): void;
  /** Playback's clock (the Scrubber's timer). */
  tick(): void;
  setSample(i: number): void;
  selectPosition(p: number | null): void;
  setCellMode(m: CellMode): void;
  setHeatMode(m: HeatMode): void;
  setCompareSteps(s: string): void;
  setTeacherSteps(s: string): void;
  runCompare(): Promise<void>;
  loseDevice(): Promise<void>;
  /** The recorded run as trajectory JSON (serialised by the worker); null when there is none. */
  trajectory(): Promise<string | null>;
}

const DEFAULTS: SampleSettings = { steps: 8, seed: 0, count: 4, k: 8 };

function toUrl(s: { modelKey: string | null; settings: SampleSettings; backend: BackendPreference; runtime: SampleRuntime }): void {
  const url = new URL(location.href);
  if (s.modelKey && !s.modelKey.startsWith('file:')) url.searchParams.set('model', s.modelKey);
  else url.searchParams.delete('model');
  for (const [k, v] of Object.entries(s.settings)) url.searchParams.set(k, String(v));
  if (s.backend === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', s.backend);
  if (s.runtime === 'studio') url.searchParams.delete('runtime');
  else url.searchParams.set('runtime', s.runtime);
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
  const init = sampleQuery(location.search, DEFAULTS);
  let lastFile: File | null = null;
  const persist = () => toUrl(get());
  const dispatch = (a: SampleAction) => set((s) => reduceSample(s, a));
  const onProgress = Comlink.proxy((p: LoadProgress) => dispatch({ type: 'progress', progress: p }));

  /**
   * What the worker has sampled since the model was loaded: the runtime, the
   * sample count and, with frames, k (a new count or k compiles new GPU
   * pipelines and allocates new buffers; the step count does not).
   */
  let warmed = new Set<string>();
  const dropFrame = Comlink.proxy(() => undefined);
  /**
   * One throw-away step with these settings before a timed run, as the Demo
   * does when it opens a model: the first run of new settings would
   * otherwise report shader compilation as sampling time. Returns the
   * warm-up's milliseconds, or null when these settings were warm.
   */
  async function warmUp(s: SampleSettings, runtime: SampleRuntime, who: 'this' | 'teacher', frames: boolean): Promise<number | null> {
    const key = `${who}:${runtime}:${s.count}:${frames ? s.k : '-'}`;
    if (warmed.has(key)) return null;
    const t0 = performance.now();
    const once = { ...s, steps: 1, seed: 0 };
    if (who === 'teacher') await sampler().sampleTeacher(once);
    else await sampler().sample(once, frames ? dropFrame : undefined, runtime);
    warmed.add(key);
    return performance.now() - t0;
  }

  /** The heatmap's final-token probabilities, asked of the worker once the run is done and shown. */
  async function finalProbs(): Promise<void> {
    const { frames, finalProbs: have, status, heatMode } = get();
    if (heatMode !== 'final' || status !== 'done' || have || !frames.length) return;
    try {
      dispatch({ type: 'final-probs', frames, probs: await sampler().finalTokenProbs(frames) });
    } catch (e) {
      set({ message: `Could not compute the final tokens' probabilities: ${message(e)}` });
    }
  }

  return {
    ...initialSampleRun,
    models: [],
    modelKey: init.key,
    model: null,
    backend: init.backend,
    runtime: init.runtime,
    recordedRuntime: null,
    settings: init.settings,
    warmingUp: false,
    warmUpMs: null,
    cellMode: 'prediction',
    heatMode: 'entropy',
    compareSteps: '1, 8, 64',
    teacherSteps: '1, 8, 64',

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
        dispatch({ type: 'failed', message: `Could not list models: ${message(e)}` });
      }
    },

    async load(key, file) {
      dispatch({ type: 'loading' });
      try {
        let src: ModelSource | null;
        // The File itself goes to the worker (no copy here): it reads it in slices, so a large .ckpt never blocks the page.
        if (file) { src = { kind: 'file', file }; key = `file:${file.name}`; }
        else if (key.startsWith('file:') && lastFile) src = { kind: 'file', file: lastFile };
        else src = sourceOf(key);
        if (!src) throw new Error(`unknown model ${key}`);
        const model = await sampler().load(src, get().backend, onProgress);
        warmed = new Set();
        if (file) lastFile = file;
        const settings = { ...get().settings, k: Math.min(get().settings.k, model.vocab) };
        set((s) => ({ ...reduceSample(s, { type: 'loaded' }), model, modelKey: key, settings }));
        persist();
      } catch (e) {
        // The previous model (if any) stays loaded in the worker and in the view.
        dispatch({ type: 'failed', message: `Could not load the model: ${message(e)}` });
      }
    },

    async setTokenizer(choice) {
      if (!get().model) return;
      dispatch({ type: 'loading' });
      try {
        const c: TokenizerChoice = choice.kind === 'file-pick' ? { kind: 'file', name: choice.file.name, text: await choice.file.text() } : choice;
        const model = await sampler().setTokenizer(c, onProgress);
        warmed = new Set();
        set((s) => ({ ...reduceSample(s, { type: 'loaded' }), model }));
      } catch (e) {
        // The model keeps the tokenizer it had.
        dispatch({ type: 'failed', message: `That tokenizer cannot be used: ${message(e)}` });
      }
    },

    async keep() {
      const { model } = get();
      if (!model) return;
      try {
        const info = await sampler().keepLoaded(model.name);
        lastFile = null;
        set({ modelKey: `stored:${info.id}` });
        persist();
        dispatch({ type: 'notice', notice: `Stored "${info.name}" in this browser (${(info.bytes / 1024 / 1024).toFixed(1)} MB): the model lists of the Sample, Distill and Evaluate views have it.` });
        await get().refreshModels();
      } catch (e) {
        set({ message: `Could not store the model: ${message(e)}` });
      }
    },

    async saveFile() {
      const { model } = get();
      if (!model) return;
      try {
        const bytes = await sampler().exportLoaded();
        download(`${model.name.replace(/[^\w.-]+/g, '_') || 'model'}.safetensors`, new Blob([bytes], { type: 'application/octet-stream' }));
      } catch (e) {
        set({ message: `Could not save the model: ${message(e)}` });
      }
    },

    async setBackend(backend) {
      set({ backend });
      persist();
      const key = get().modelKey;
      if (key) await get().load(key);
    },

    setRuntime(runtime) {
      set({ runtime });
      persist();
    },

    setSettings(s) {
      set({ settings: { ...get().settings, ...s } });
      persist();
    },

    async generate() {
      const { settings, model, runtime } = get();
      if (!model) return;
      dispatch({ type: 'started', settings });
      set({ recordedRuntime: runtime, warmingUp: true, warmUpMs: null });
      try {
        const warmUpMs = await warmUp(settings, runtime, 'this', true);
        set({ warmingUp: false, warmUpMs });
        const t0 = performance.now();
        const run = await sampler().sample(settings, Comlink.proxy((f: FrameSummary) => dispatch({ type: 'frame', frame: f })), runtime);
        dispatch({ type: 'done', run });
        console.info(`sampled ${settings.count}×${model.length} tokens, ${settings.steps} steps in ${(performance.now() - t0).toFixed(0)} ms` +
          (warmUpMs === null ? '' : ` (after a ${warmUpMs.toFixed(0)} ms warm-up)`));
        await finalProbs();
      } catch (e) {
        set({ warmingUp: false });
        dispatch({ type: 'failed', message: `Sampling failed: ${message(e)}` });
      }
    },

    setFrame(frame) { dispatch({ type: 'seek', frame }); },
    setPlaying(playing) { dispatch({ type: 'play', playing }); },
    tick() { dispatch({ type: 'tick' }); },
    setSample(sample) { dispatch({ type: 'select-sample', sample }); },
    selectPosition(position) { dispatch({ type: 'select-position', position }); },
    setCellMode(cellMode) { set({ cellMode }); },
    setHeatMode(heatMode) { set({ heatMode }); void finalProbs(); },
    setCompareSteps(compareSteps) { set({ compareSteps }); },
    setTeacherSteps(teacherSteps) { set({ teacherSteps }); },

    async loseDevice() {
      try {
        // The next run rebuilds the session on a new device: its pipelines compile again.
        warmed = new Set();
        await sampler().injectFault('device-loss');
      } catch (e) {
        set({ message: `Could not inject the fault: ${message(e)}` });
      }
    },

    async trajectory() {
      const { model, recorded, frames, run, recordedRuntime } = get();
      if (!model || !recorded || !frames.length) return null;
      const backend = recordedRuntime === 'onnx' && run?.runtime ? run.runtime : model.backend;
      const meta = { model: model.name, backend, length: model.length, vocab: model.vocab, ...recorded };
      return sampler().trajectory(meta, model.pieces, frames, run ?? undefined);
    },

    async runCompare() {
      const { model, settings, compareSteps, teacherSteps, runtime } = get();
      const jobs = compareJobs(model, compareSteps, teacherSteps);
      if (typeof jobs === 'string') { set({ message: jobs }); return; }
      dispatch({ type: 'compare-started' });
      try {
        for (const j of jobs) {
          // Each column's time is sampling: the first of each network warms up first (the teacher is loaded then, too).
          await warmUp(settings, runtime, j.model, false);
          const r = j.model === 'this' ? await sampler().sample({ ...settings, steps: j.steps }, undefined, runtime) : await sampler().sampleTeacher({ ...settings, steps: j.steps });
          dispatch({ type: 'compare-column', column: { ...j, texts: r.texts, msPerStep: r.msPerStep, msTotal: r.msTotal } });
        }
      } catch (e) {
        dispatch({ type: 'compare-failed', message: `Comparison failed: ${message(e)}` });
      } finally {
        dispatch({ type: 'compare-done' });
      }
    },
  };
});
