/**
 * The Sample view's recorded run as a pure function of what happens to it:
 * the frames as the sampling worker streams them, the result, the scrubber
 * and its playback, the selected sample and position, the final-token
 * probabilities for the heatmap, and the step-count comparison.
 */
import type { FrameSummary } from '../../sampling/frames.ts';
import type { SampleRun, SampleSettings } from '../../sampling/session.ts';
import type { BackendPreference, LoadedModel, LoadProgress, OpenedFile, SampleRuntime } from '../../../workers/protocol.ts';
import { KIND_SHORT } from '../labels.ts';

export type SampleStatus = 'idle' | 'loading' | 'ready' | 'sampling' | 'done' | 'error';

export interface CompareColumn { label: string; model: 'this' | 'teacher'; steps: number; texts: string[]; msPerStep: number; msTotal: number }

export interface SampleRunState {
  status: SampleStatus;
  message: string | null;
  /** Reading or downloading the model being loaded (a `.ckpt`'s weights, a file, the tokenizer…). */
  progress: LoadProgress | null;
  /** What just happened that is not an error (a model stored in this browser…). */
  notice: string | null;
  /** Settings and frames of the recorded run. */
  recorded: SampleSettings | null;
  frames: FrameSummary[];
  run: SampleRun | null;
  /** The frame on screen. */
  frame: number;
  playing: boolean;
  /** Which sample of the batch the visualizer shows. */
  sample: number;
  position: number | null;
  /** Per frame, the probability of each row's final token (from the worker, once the run is done). */
  finalProbs: Float32Array[] | null;
  comparing: boolean;
  compare: CompareColumn[];
}

export type SampleAction =
  | { type: 'loading' }
  | { type: 'progress'; progress: LoadProgress }
  /** A model was loaded: the previous run is gone. */
  | { type: 'loaded' }
  | { type: 'notice'; notice: string | null }
  | { type: 'started'; settings: SampleSettings }
  /** A frame from the worker; frame 0 starts the list again (also when the worker retried on a new GPU device). */
  | { type: 'frame'; frame: FrameSummary }
  | { type: 'done'; run: SampleRun }
  | { type: 'failed'; message: string }
  | { type: 'final-probs'; frames: FrameSummary[]; probs: Float32Array[] }
  | { type: 'seek'; frame: number }
  | { type: 'play'; playing: boolean }
  /** Playback's clock: the next frame, or stop at the last. */
  | { type: 'tick' }
  | { type: 'select-sample'; sample: number }
  | { type: 'select-position'; position: number | null }
  | { type: 'compare-started' }
  | { type: 'compare-column'; column: CompareColumn }
  | { type: 'compare-failed'; message: string }
  | { type: 'compare-done' };

type RunFields = 'recorded' | 'frames' | 'run' | 'frame' | 'playing' | 'position' | 'finalProbs' | 'compare';
/** No recorded run (a new model, a new run). */
const noRun = (): Pick<SampleRunState, RunFields> => ({ recorded: null, frames: [], run: null, frame: 0, playing: false, position: null, finalProbs: null, compare: [] });

export const initialSampleRun: SampleRunState = { status: 'idle', message: null, progress: null, notice: null, sample: 0, comparing: false, ...noRun() };

/** k within [0, n − 1]; 0 when there is nothing (or n is not a number). */
const clamp = (k: number, n: number) => (n >= 1 ? Math.max(0, Math.min(k, n - 1)) : 0);

export function reduceSample(s: SampleRunState, a: SampleAction): SampleRunState {
  switch (a.type) {
    case 'loading':
      return { ...s, status: 'loading', message: null, notice: null, progress: null };
    case 'progress':
      return s.status === 'loading' ? { ...s, progress: a.progress } : s;
    case 'loaded':
      return { ...s, ...noRun(), status: 'ready', sample: 0, progress: null };
    case 'notice':
      return { ...s, notice: a.notice };
    case 'started':
      return {
        ...s, ...noRun(), status: 'sampling', message: null,
        sample: clamp(s.sample, a.settings.count), recorded: { ...a.settings },
      };
    case 'frame': {
      const frames = a.frame.step === 0 ? [a.frame] : [...s.frames, a.frame];
      return { ...s, frames, frame: frames.length - 1 };
    }
    case 'done':
      return { ...s, run: a.run, status: 'done', frame: Math.max(0, s.frames.length - 1) };
    case 'failed':
      return { ...s, status: 'error', message: a.message, progress: null };
    case 'final-probs':
      // Only for the frames on screen (a new run may have started since the request).
      return a.frames === s.frames ? { ...s, finalProbs: a.probs } : s;
    case 'seek':
      return { ...s, frame: clamp(a.frame, s.frames.length) };
    case 'play':
      return { ...s, playing: a.playing, frame: a.playing && s.frame >= s.frames.length - 1 ? 0 : s.frame };
    case 'tick':
      if (!s.playing) return s;
      return s.frame >= s.frames.length - 1 ? { ...s, playing: false } : { ...s, frame: s.frame + 1 };
    case 'select-sample':
      return { ...s, sample: a.sample };
    case 'select-position':
      return { ...s, position: a.position };
    case 'compare-started':
      return { ...s, comparing: true, compare: [], message: null };
    case 'compare-column':
      return { ...s, compare: [...s.compare, a.column] };
    case 'compare-failed':
      return { ...s, message: a.message };
    case 'compare-done':
      return { ...s, comparing: false };
  }
}

/** "1, 8, 64" → [1, 8, 64] (each once); null when a value is not a whole number from 1 to `max`. */
export function parseSteps(text: string, max = 1024): number[] | null {
  const v = text.split(/[\s,]+/).filter(Boolean).map(Number);
  return v.every((n) => Number.isInteger(n) && n >= 1 && n <= max) ? [...new Set(v)] : null;
}

export interface CompareJob { model: 'this' | 'teacher'; steps: number; label: string }

const stepsWord = (n: number) => `${n} step${n === 1 ? '' : 's'}`;

/**
 * The columns of a comparison: the loaded model at `mine` steps, then its FLM
 * teacher (a distilled model's) at `theirs`; a message when the step counts
 * are not usable.
 */
export function compareJobs(model: Pick<LoadedModel, 'kind' | 'teacher'> | null, mine: string, theirs: string): CompareJob[] | string {
  const a = parseSteps(mine), b = model?.teacher ? parseSteps(theirs) : [];
  if (!a || !b || (!a.length && !b.length)) return 'Step counts for the comparison: whole numbers from 1 to 1024, separated by commas.';
  const name = model ? KIND_SHORT[model.kind] : 'FLM';
  return [
    ...a.map((steps) => ({ model: 'this' as const, steps, label: `${name} · ${stepsWord(steps)}` })),
    ...b.map((steps) => ({ model: 'teacher' as const, steps, label: `FLM teacher · ${stepsWord(steps)}` })),
  ];
}

/** The settings, model and backend a Sample view URL names (a reload reproduces the run). */
export function sampleQuery(search: string, defaults: SampleSettings): {
  key: string | null; settings: SampleSettings; backend: BackendPreference; runtime: SampleRuntime;
} {
  const q = new URLSearchParams(search);
  const int = (name: string, d: number) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isInteger(v) && v >= 0 ? v : d;
  };
  const b = q.get('backend');
  return {
    key: q.get('model'),
    settings: { steps: int('steps', defaults.steps), seed: int('seed', defaults.seed), count: int('count', defaults.count), k: int('k', defaults.k) },
    backend: b === 'cpu' || b === 'webgpu' || b === 'wasm' ? b : 'auto',
    runtime: q.get('runtime') === 'onnx' ? 'onnx' : 'studio',
  };
}

const ms = (x: number) => (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`);

/**
 * Who produced a run and how long its sampling took (the time the page took
 * to draw the frames left out), in words:
 * `onnxruntime-web 1.30.0 (wasm, 1 thread): 84 ms, 42 ms/step, 21 ms/sample, of which onnxruntime-web 60 ms (+ 200 ms drawing the frames)`.
 */
export function runtimeText(run: Pick<SampleRun, 'runtime' | 'msTotal' | 'steps' | 'count' | 'networkMs' | 'msFrames'>): string {
  const total = run.msTotal - (run.msFrames ?? 0);
  const inRuntime = run.networkMs !== undefined ? `, of which ${run.runtime?.split(' ')[0] ?? 'the runtime'} ${ms(run.networkMs)}` : '';
  const frames = run.msFrames ? ` (+ ${ms(run.msFrames)} drawing the frames)` : '';
  return `${run.runtime ?? 'the studio'}: ${ms(total)}, ${ms(total / run.steps)}/step, ${ms(total / run.count)}/sample${inRuntime}${frames}`;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A load's progress in words: `fmlm.ckpt: reading the weights: 1.2 / 1.4 MB`. */
export function progressText(p: LoadProgress): string {
  if (!p.loaded && !p.total) return `${p.what}…`;
  return p.total ? `${p.what}: ${(p.loaded / 1024 / 1024).toFixed(1)} / ${mb(p.total)}` : `${p.what}: ${mb(p.loaded)}`;
}

/** The opened file in words: `fmlm.ckpt: official PyTorch Lightning checkpoint, 3.2 MB, read in 120 ms`. */
export function fileText(f: OpenedFile): string {
  const what = f.format === 'ckpt' ? 'official PyTorch Lightning checkpoint' : 'studio checkpoint (.safetensors)';
  return `${f.name}: ${what}, ${mb(f.bytes)}, read in ${f.readMs < 10000 ? `${Math.round(f.readMs)} ms` : `${(f.readMs / 1000).toFixed(1)} s`}`;
}

/** The files the Sample view opens (by name; the worker decides by the bytes). */
export const MODEL_FILE_ACCEPT = '.ckpt,.safetensors';
