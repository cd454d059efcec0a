/// <reference lib="webworker" />
/**
 * The sampling worker: loads a model (bundled, stored in IndexedDB, a URL, or
 * a file the user opened: a studio `.safetensors` or an official Lightning
 * `.ckpt`, read here slice by slice so the page never waits) onto its own
 * backend, with the tokenizer its checkpoint names resolved (GPT-2 offline,
 * others from the model hub; token ids when none can be had), and streams
 * Euler sampling frames to the UI: per position the top-k candidates of z_t
 * and of the prediction, entropy and argmax, as transferred typed arrays
 * (never the full [B, L, V] tensors). With the 'onnx' runtime the network
 * is the model's ONNX export on onnxruntime-web (WebAssembly; its .wasm
 * bundled with the studio, never fetched from a CDN) and the rest is the
 * same sampler on the CPU backend: the same frames as the studio's own
 * network.
 */
import * as Comlink from 'comlink';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { resolveTokenizer, type ResolvedTokenizer } from '../src/data/tokenizerSources.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { parameterCount } from '../src/train/presets.ts';
import { frameBuffers, type FrameSummary } from '../src/sampling/frames.ts';
import { finalTokenProb, trajectoryJSON } from '../src/sampling/trajectory.ts';
import { SAMPLER_NAMES, SamplingSession } from '../src/sampling/session.ts';
import { onnxLogitsProvider, OnnxModel } from '../src/sampling/onnxLogits.ts';
import { exportOnnx } from '../src/io/onnx/index.ts';
import { samplerFor } from '../src/io/meta.ts';
import { backendFor, destroyDevice, deviceLoss, forgetBackend } from './backends.ts';
import { exposeApi } from './expose.ts';
import { bundledModels, modelBytes, openModel, teacherSources, tokenizerLoaders } from './models.ts';
import {
  WorkerError, type BackendPreference, type LoadedModel, type LoadProgress, type ModelEntry, type ModelKind, type ModelRef, type ModelSource,
  type OpenedFile, type SampleApi, type SampleRuntime,
} from './protocol.ts';

/** The kinds of model one can sample (a judge only scores samples). */
const SAMPLEABLE: ModelKind[] = ['flm', 'fmlm', 'flowmap'];

const store = new CheckpointStore();
let session: SamplingSession | null = null;
/**
 * What the session was built from (the checkpoint as opened, with the
 * tokenizer in use resolved), to rebuild it on a new device after a device
 * loss, or with another tokenizer.
 */
interface Loaded { ckpt: Checkpoint; choice: BackendPreference; tokenizer: ResolvedTokenizer; file: OpenedFile | null; name: string }
let loaded: Loaded | null = null;
/** The loaded model's FLM teacher, for comparisons (loaded on first use). */
let teacher: { source: ModelRef; session: SamplingSession | null } | null = null;

/**
 * The loaded model on onnxruntime-web: its ONNX export (and its FLM
 * teacher's, for a stage-1 flow map) in onnxruntime sessions, and a
 * sampling session on the CPU backend whose logits come from them. Built on
 * the first 'onnx' sample of a loaded model (`of`), dropped when another
 * model or tokenizer is loaded.
 */
let onnx: { of: Loaded; session: SamplingSession; models: OnnxModel[] } | null = null;

type OrtWeb = typeof import('onnxruntime-web/wasm');
let ortWeb: Promise<OrtWeb> | null = null;

/** onnxruntime's WebAssembly threads: one per core (at most 4) where the page is cross-origin isolated, else 1 (it needs SharedArrayBuffer). */
const ORT_THREADS = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

/**
 * onnxruntime-web's WebAssembly build, loaded on first use (a chunk of its
 * own), reading its .wasm from the studio's own files (precached for
 * offline use): wasmPaths names the bundled asset, never a CDN.
 */
function loadOrt(): Promise<OrtWeb> {
  ortWeb ??= import('onnxruntime-web/wasm').then((ort) => {
    ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
    ort.env.wasm.numThreads = ORT_THREADS;
    ort.env.wasm.proxy = false;
    return ort;
  }, (e: unknown) => {
    ortWeb = null;
    throw e;
  });
  return ortWeb;
}

function releaseOnnx(): void {
  if (!onnx) return;
  const { session: s, models } = onnx;
  onnx = null;
  s.release();
  for (const m of models) void m.release().catch(() => undefined);
}

/** The loaded model's session with its network on onnxruntime-web (built on first use). */
async function onnxSession(): Promise<SamplingSession> {
  if (!loaded) throw new WorkerError('no-run', 'load a model first');
  if (onnx?.of === loaded) return onnx.session;
  releaseOnnx();
  const current = loaded;
  const ort = await loadOrt();
  const models: OnnxModel[] = [];
  try {
    const open = async (c: Checkpoint) => {
      const bytes = exportOnnx(c).bytes;
      // No spinning between runs: onnxruntime's idle threads would take the cores the page and the studio's math need.
      const options = { executionProviders: ['wasm'], extra: { session: { intra_op: { allow_spinning: '0' } } } };
      const m = new OnnxModel(ort, await ort.InferenceSession.create(bytes, options), c.config);
      models.push(m);
      return m;
    };
    const model = await open(current.ckpt);
    const f = teacherSources(current.ckpt).f;
    const teacherCkpt = samplerFor(current.ckpt.meta) === 'two-network' && f ? await loadCheckpoint(f) : undefined;
    const teacherModel = teacherCkpt ? await open(teacherCkpt) : null;
    const threads = ort.env.wasm.numThreads ?? 1;
    const runtime = `onnxruntime-web ${ort.env.versions.web ?? ''} (wasm, ${threads} thread${threads === 1 ? '' : 's'})`.replace('  ', ' ');
    const { backend } = await backendFor('cpu');
    const next = new SamplingSession(backend, withTokenizer(current.ckpt, current.tokenizer), {
      teacher: teacherCkpt, logits: onnxLogitsProvider(runtime, model, teacherModel),
    });
    onnx = { of: current, session: next, models };
    return next;
  } catch (e) {
    for (const m of models) void m.release().catch(() => undefined);
    throw e;
  }
}

/** Loads and samples run one at a time, in call order. */
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(job: () => Promise<T>): Promise<T> {
  const next = queue.then(job, job);
  queue = next.catch(() => undefined);
  return next;
}

const loadCheckpoint = async (src: ModelSource, onProgress?: (p: LoadProgress) => void) =>
  decodeCheckpoint((await modelBytes(store, src, onProgress)).bytes);

/**
 * A sampling session for `ckpt` on the chosen backend; a stage-1 flow map
 * gets its FLM teacher (the two-network sampler), when the studio can find it.
 */
async function buildSession(ckpt: Checkpoint, choice: BackendPreference, onProgress?: (p: LoadProgress) => void) {
  const { backend, note, fallbackReason } = await backendFor(choice);
  const f = teacherSources(ckpt).f;
  const teacherCkpt = samplerFor(ckpt.meta) === 'two-network' && f ? await loadCheckpoint(f, onProgress) : undefined;
  return { session: new SamplingSession(backend, ckpt, { teacher: teacherCkpt }), note, fallbackReason };
}

/** The loaded model's FLM teacher on the same backend, loaded on first use. */
async function teacherSession(onProgress?: (p: LoadProgress) => void): Promise<SamplingSession> {
  if (!teacher || !loaded) throw new WorkerError('no-run', 'this model has no FLM teacher the studio can load');
  if (!teacher.session) {
    const { backend } = await backendFor(loaded.choice);
    teacher.session = new SamplingSession(backend, await loadCheckpoint(teacher.source, onProgress));
  }
  return teacher.session;
}

/** The checkpoint as the session uses it: its tokenizer replaced by the resolved one (none: token ids). */
function withTokenizer(ckpt: Checkpoint, tk: ResolvedTokenizer): Checkpoint {
  const meta = { ...ckpt.meta };
  if (tk.json) meta.tokenizer = tk.json;
  else delete meta.tokenizer;
  return { ...ckpt, meta };
}

/** The checkpoint to store or export: the tokenizer as it should be kept (a name for a bundled or fetched one, a user's file whole). */
function storable(name?: string): Checkpoint {
  if (!loaded) throw new WorkerError('no-run', 'load a model first');
  const meta = { ...loaded.ckpt.meta, name: name?.trim() || loaded.ckpt.meta.name };
  if (loaded.tokenizer.stored) meta.tokenizer = loaded.tokenizer.stored;
  else delete meta.tokenizer;
  return { ...loaded.ckpt, meta };
}

function describeLoaded(name: string, ckpt: Checkpoint, next: SamplingSession, tk: ResolvedTokenizer, file: OpenedFile | null,
  extra: { note: string; fallbackReason: string | null }): LoadedModel {
  return {
    name: ckpt.meta.name || name,
    step: ckpt.meta.step,
    length: ckpt.config.length,
    vocab: ckpt.config.vocab,
    params: parameterCount(ckpt.config),
    tokenizer: tk.label,
    tokenizerOrigin: tk.origin,
    tokenizerNamed: ckpt.meta.tokenizer?.type === 'hub' ? ckpt.meta.tokenizer.name : null,
    tokenizerNote: tk.note,
    pieces: next.pieces,
    usesEma: next.usesEma,
    backend: next.backend.description + extra.note,
    backendKind: next.backend.name,
    fallbackReason: extra.fallbackReason,
    sampler: SAMPLER_NAMES[next.kind],
    kind: ckpt.meta.kind,
    samplerKind: next.kind,
    teacher: teacher ? (teacher.source.kind === 'bundled' ? teacher.source.file : `stored checkpoint ${teacher.source.id}`) : null,
    file,
  };
}

/** The backend's own words for the loaded session (kept for describing it again after a tokenizer change). */
let backendWords = { note: '', fallbackReason: null as string | null };

const api: SampleApi = {
  async models(kinds = SAMPLEABLE) {
    const [bundled, stored] = await Promise.all([bundledModels(kinds), store.list()]);
    const wanted = (k: string): k is ModelKind => (kinds as string[]).includes(k);
    return [
      ...bundled,
      ...stored.flatMap((c): ModelEntry[] => (wanted(c.kind)
        ? [{ source: { kind: 'stored', id: c.id }, kind: c.kind, name: c.name, detail: `${c.kind}, step ${c.step}` }]
        : [])),
    ];
  },

  load: (src, choice, onProgress) => serial(async (): Promise<LoadedModel> => {
    // Fetch or read and decode (and so validate) before touching the current model: a bad file loses nothing
    // (its error reaches the UI as a WorkerError: a download's code, or 'bad-checkpoint' with the reader's one line).
    const { name, ckpt, file } = await openModel(store, src, onProgress);
    const named = ckpt.meta.tokenizer?.type === 'hub' ? ckpt.meta.tokenizer.name : null;
    if (named) onProgress?.({ what: `the ${named} tokenizer`, loaded: 0, total: null });
    const tk = await resolveTokenizer(ckpt.meta.tokenizer, ckpt.config.vocab, tokenizerLoaders);
    onProgress?.({ what: `${name}: putting the weights on the backend`, loaded: 0, total: null });
    const { session: next, note, fallbackReason } = await buildSession(withTokenizer(ckpt, tk), choice, onProgress);
    session?.release();
    teacher?.session?.release();
    session = next;
    releaseOnnx();
    loaded = { ckpt, choice, tokenizer: tk, file, name };
    backendWords = { note, fallbackReason };
    const f = teacherSources(ckpt).f;
    teacher = f && ckpt.config.twoTime ? { source: f, session: null } : null;
    return describeLoaded(name, ckpt, next, tk, file, backendWords);
  }),

  setTokenizer: (choice, onProgress) => serial(async () => {
    if (!session || !loaded) throw new WorkerError('no-run', 'load a model first');
    const current = loaded;
    if (choice.kind === 'name') onProgress?.({ what: `the ${choice.name} tokenizer`, loaded: 0, total: null });
    let tk: ResolvedTokenizer;
    try {
      tk = await resolveTokenizer(current.ckpt.meta.tokenizer, current.ckpt.config.vocab, tokenizerLoaders, choice);
    } catch (e) {
      throw new WorkerError('bad-tokenizer', e instanceof Error ? e.message : String(e));
    }
    // A session decodes with the tokenizer it was built with: build one with the new tokenizer, then let the old one go.
    const { session: next } = await buildSession(withTokenizer(current.ckpt, tk), current.choice);
    session.release();
    session = next;
    releaseOnnx();
    loaded = { ...current, tokenizer: tk };
    return describeLoaded(current.name, current.ckpt, next, tk, current.file, backendWords);
  }),

  keepLoaded: (name) => serial(async () => {
    const c = storable(name);
    return store.save(encodeCheckpoint(c), { name: c.meta.name, kind: c.meta.kind, step: c.meta.step });
  }),

  exportLoaded: () => serial(async () => {
    const bytes = encodeCheckpoint(storable());
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
    return Comlink.transfer(copy, [copy]);
  }),

  sample: (settings, onFrame, runtime: SampleRuntime = 'studio') => serial(async () => {
    if (!session || !loaded) throw new WorkerError('no-run', 'load a model first');
    const send = onFrame && (async (f: FrameSummary) => { await onFrame(Comlink.transfer(f, frameBuffers(f))); });
    if (runtime === 'onnx') {
      const s = await onnxSession();
      const models = onnx?.models ?? [];
      for (const m of models) m.runMs = 0;
      const run = await s.run(settings, send);
      return { ...run, networkMs: models.reduce((a, m) => a + m.runMs, 0) };
    }
    try {
      return await session.run(settings, send);
    } catch (e) {
      // A lost GPU device: rebuild the sessions on a new device and sample once more (same seed: same tokens).
      const lost = await deviceLoss(session.backend, e);
      if (!lost) throw e;
      forgetBackend(loaded.choice);
      session = (await buildSession(withTokenizer(loaded.ckpt, loaded.tokenizer), loaded.choice)).session;
      if (teacher) teacher.session = null; // it lived on the lost device
      return session.run(settings, send);
    }
  }),

  prepareTeacher: (onProgress) => serial(async () => {
    if (!teacher || !loaded) return null;
    await teacherSession(onProgress);
    return { name: teacher.source.kind === 'bundled' ? teacher.source.file : teacher.source.id };
  }),

  sampleTeacher: (settings) => serial(async () => (await teacherSession()).run(settings)),

  async trajectory(meta, pieces, frames, run) {
    return JSON.stringify(trajectoryJSON(meta, pieces, frames, run));
  },

  async finalTokenProbs(frames) {
    const last = frames[frames.length - 1];
    const probs = last ? frames.map((f) => finalTokenProb(f, last.argmaxZ)) : [];
    return Comlink.transfer(probs, probs.map((p) => p.buffer));
  },

  async injectFault() {
    if (!session) throw new WorkerError('no-run', 'device loss needs a model loaded on the WebGPU backend');
    destroyDevice(session.backend);
  },
};

exposeApi(api);
