/// <reference lib="webworker" />
/**
 * The sampling worker: loads a model (bundled, stored in IndexedDB, or a
 * file) onto its own backend and streams Euler sampling frames to the UI:
 * per position the top-k candidates of z_t and of the prediction, entropy and
 * argmax, as transferred typed arrays (never the full [B, L, V] tensors).
 */
import * as Comlink from 'comlink';
import { decodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { parameterCount } from '../src/model/presets.ts';
import { frameBuffers, type FrameSummary } from '../src/sampling/frames.ts';
import { SAMPLER_NAMES, samplerKind, SamplingSession } from '../src/sampling/session.ts';
import { backendFor, deviceLoss, forgetBackend, publicUrl } from './backends.ts';
import type { BackendPreference, LoadedModel, ModelEntry, ModelSource, SampleApi } from './protocol.ts';

const store = new CheckpointStore();
let session: SamplingSession | null = null;
/** What the session was built from, to rebuild it on a new device after a device loss. */
let loaded: { ckpt: Checkpoint; choice: BackendPreference } | null = null;
/** The loaded model's FLM teacher, for comparisons (loaded on first use). */
let teacher: { source: TeacherSource; session: SamplingSession | null } | null = null;

type TeacherSource = Exclude<ModelSource, { kind: 'bytes' }>;

/** Where a distilled checkpoint's FLM teacher is, when the studio can load it. */
function teacherSource(ckpt: Checkpoint): TeacherSource | null {
  const f = (ckpt.meta.extra as { teacherSources?: { f?: TeacherSource } } | undefined)?.teacherSources?.f;
  return f && (f.kind === 'bundled' || f.kind === 'stored') ? f : null;
}
/** Loads and samples run one at a time, in call order. */
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(job: () => Promise<T>): Promise<T> {
  const next = queue.then(job, job);
  queue = next.catch(() => undefined);
  return next;
}

interface BundledIndex { models: { file: string; name: string; description?: string }[] }

async function bundledModels(): Promise<ModelEntry[]> {
  const res = await fetch(publicUrl('models/index.json'));
  if (!res.ok) return [];
  const index = (await res.json()) as BundledIndex;
  return index.models.map((m) => ({ source: { kind: 'bundled', file: m.file }, name: m.name, detail: m.description ?? 'bundled' }));
}

async function sourceBytes(src: ModelSource): Promise<{ name: string; bytes: Uint8Array }> {
  if (src.kind === 'bytes') return { name: src.name, bytes: new Uint8Array(src.bytes) };
  if (src.kind === 'stored') return { name: src.id, bytes: await store.load(src.id) };
  if (!/^[\w.-]+\.safetensors$/.test(src.file)) throw new Error(`not a bundled model file name: ${src.file}`);
  const res = await fetch(publicUrl(`models/${src.file}`));
  if (!res.ok) throw new Error(`could not load the bundled model ${src.file} (HTTP ${res.status})`);
  return { name: src.file, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const api: SampleApi = {
  async models() {
    const [bundled, stored] = await Promise.all([bundledModels(), store.list()]);
    return [
      ...bundled,
      ...stored.map((c): ModelEntry => ({ source: { kind: 'stored', id: c.id }, name: c.name, detail: `${c.kind}, step ${c.step}` })),
    ];
  },

  load: (src, choice) => serial(async (): Promise<LoadedModel> => {
    const { name, bytes } = await sourceBytes(src);
    // Decode (and so validate) before touching the current model: a bad file loses nothing.
    const ckpt = decodeCheckpoint(bytes);
    const { backend, note } = await backendFor(choice);
    const tSrc = teacherSource(ckpt);
    // A stage-1 flow map samples with its teacher (the two-network sampler).
    const f = samplerKind(ckpt) === 'two-network' && tSrc ? decodeCheckpoint((await sourceBytes(tSrc)).bytes) : undefined;
    const next = new SamplingSession(backend, ckpt, { teacher: f });
    session?.release();
    teacher?.session?.release();
    session = next;
    loaded = { ckpt, choice };
    teacher = tSrc && ckpt.config.twoTime ? { source: tSrc, session: null } : null;
    return {
      name: ckpt.meta.name || name,
      step: ckpt.meta.step,
      length: ckpt.config.length,
      vocab: ckpt.config.vocab,
      params: parameterCount(ckpt.config),
      tokenizer: next.tokenizerName,
      pieces: next.pieces,
      usesEma: next.usesEma,
      backend: backend.description + note,
      sampler: SAMPLER_NAMES[next.kind],
      teacher: teacher ? (teacher.source.kind === 'bundled' ? teacher.source.file : `stored checkpoint ${teacher.source.id}`) : null,
    };
  }),

  sample: (settings, onFrame) => serial(async () => {
    if (!session || !loaded) throw new Error('load a model first');
    const send = onFrame && (async (f: FrameSummary) => { await onFrame(Comlink.transfer(f, frameBuffers(f))); });
    try {
      return await session.run(settings, send);
    } catch (e) {
      // A lost GPU device: rebuild the session on a new device and sample once more (same seed: same tokens).
      const lost = await deviceLoss(session.backend, e);
      if (!lost) throw e;
      forgetBackend(loaded.choice);
      const { backend } = await backendFor(loaded.choice);
      session = new SamplingSession(backend, loaded.ckpt);
      return session.run(settings, send);
    }
  }),

  sampleTeacher: (settings) => serial(async () => {
    if (!teacher || !loaded) throw new Error('this model has no FLM teacher the studio can load');
    if (!teacher.session) {
      const { backend } = await backendFor(loaded.choice);
      teacher.session = new SamplingSession(backend, decodeCheckpoint((await sourceBytes(teacher.source)).bytes));
    }
    return teacher.session.run(settings);
  }),

  async injectFault() {
    const b = session?.backend;
    if (!(b instanceof GpuBackend)) throw new Error('device loss needs a model loaded on the WebGPU backend');
    b.handle.device.destroy();
  },
};

Comlink.expose(api);
