/**
 * A loaded model ready to sample: the checkpoint's EMA weights (its raw
 * weights when it has none) on a backend, its tokenizer, and one sampler
 * per sample count. The sampler follows the model: an FLM gets the Euler
 * sampler (spec section 5), an FMLM (two-time, stage 2) the one-network
 * flow-map sampler (section 7; one step = one-step generation), a stage-1
 * flow map g the two-network sampler with its FLM teacher (section 6). The
 * sampling worker and `flm sample` both run through this class, so the same
 * checkpoint, seed, N and backend give the same tokens in the studio and
 * headless.
 */
import { tensorArguments } from '../engine/adapter.ts';
import { alignUp, type Backend, type DType, type Ops, type Program, type Tensor } from '../engine/backend.ts';
import { entropy as deviceEntropy, topK as deviceTopK } from '../engine/kernels/frameSummary.ts';
import type { GpuPiecedTensor } from '../engine/webgpu/context.ts';
import { describeLimits } from '../engine/webgpu/device.ts';
import { formatBytes, GpuOutOfMemoryError, ModelTooLargeError, type ModelMemoryPlan } from '../engine/webgpu/errors.ts';
import { CHUNKED_OPS, GpuBackend } from '../engine/webgpu/gpuBackend.ts';
import { STREAM } from '../flm/random.ts';
import type { LogitsProvider, LogitsSource } from '../flm/network.ts';
import { TwoNetworkSampler } from '../flm/twoNetworkSampler.ts';
import { EulerSampler, type StepSampler } from '../flm/sampler.ts';
import { TimeMap } from '../flm/timeMap.ts';
import { BpeTokenizer } from '../data/bpeTokenizer.ts';
import { isNamedTokenizer, tokenizerFromJSON, tokenPieces, type TextTokenizer, type TokenizerJSON } from '../data/tokenizer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { samplerFor, type SamplerKind } from '../io/meta.ts';

export { SAMPLER_NAMES, type SamplerKind } from '../io/meta.ts';
export type { LogitsProvider, LogitsSource } from '../flm/network.ts';
import type { DiTConfig } from '../model/config.ts';
import { paramLayout, type ParamLayout } from '../model/layout.ts';
import { modelWeights, type Weights } from '../model/weights.ts';
import { firstNonFiniteRow, summarizeFrame, type FrameSummary } from './frames.ts';

export interface SampleSettings {
  /** Euler steps N (frames N + 1). */
  steps: number;
  seed: number;
  /** Sequences sampled together. */
  count: number;
  /** Candidates per position in each frame. */
  k: number;
}

export interface SampleRun {
  steps: number;
  seed: number;
  count: number;
  /** [count][L] final tokens. */
  tokens: number[][];
  /** Decoded final samples (token ids as ⟨id⟩ when the checkpoint has no tokenizer). */
  texts: string[];
  msTotal: number;
  msPerStep: number;
  /** Who computed the network's logits, for people (the backend's description, or e.g. 'onnxruntime-web (wasm, 1 thread)'). */
  runtime?: string;
  /** With an external runtime: the milliseconds spent in it (the network's share of msTotal). */
  networkMs?: number;
  /** Of msTotal, the milliseconds spent waiting for the frames' receiver (e.g. the page drawing each frame). */
  msFrames?: number;
}

/** The model produced NaN or ±Inf while sampling. */
export class NonFiniteSampleError extends Error {
  constructor(step: number, sample: number, position: number) {
    super(`the model produced a non-finite value at step ${step} (sample ${sample}, position ${position}); its weights are probably broken (a diverged run?)`);
    this.name = 'NonFiniteSampleError';
  }
}

export const MAX_STEPS = 1024;
export const MAX_COUNT = 64;
/** The most candidates per position the device computes (k rounds over each row); larger k is summarised on the host. */
export const DEVICE_MAX_K = 64;

/** Progress of putting a model on its backend (bytes of weights written). */
export interface LoadProgress { what: string; loaded: number; total: number | null }

export interface SessionOptions {
  /** The FLM a stage-1 flow map was distilled from (the two-network sampler needs it). */
  teacher?: Checkpoint;
  /**
   * How WebGPU stores the weights: 'f32' (the default) or 'f16' — every
   * linear layer's weights and the embedding rounded to float16 (half the
   * memory; the matmul kernels widen them to f32, so the arithmetic stays
   * f32). The CPU backend always keeps f32.
   */
  weights?: 'f32' | 'f16';
  /**
   * Where frames are summarised on WebGPU: 'device' (the default; the
   * frame_summary kernels, so only O(count·L·k) numbers come back per frame)
   * or 'host' (read z and the prediction, [count, L, V] each, and summarise
   * them here, as the CPU backend does).
   */
  summaries?: 'device' | 'host';
  /** Called as the weights are written to the backend. */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Where the network's logits come from: by default the studio's DiT on
   * `backend` with the checkpoint's weights; a provider (e.g. the exported
   * ONNX model on onnxruntime) replaces only the network — the noise,
   * softmax, updates and frames stay this session's, on `backend` — and the
   * weights are then not put on the backend.
   */
  logits?: LogitsProvider;
}

/** Check settings a user typed; throws a RangeError that says which one is wrong. */
export function checkSettings(s: SampleSettings, vocab: number): void {
  const intIn = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!intIn(s.steps, 1, MAX_STEPS)) throw new RangeError(`steps must be a whole number from 1 to ${MAX_STEPS} (got ${s.steps})`);
  if (!intIn(s.count, 1, MAX_COUNT)) throw new RangeError(`the number of samples must be from 1 to ${MAX_COUNT} (got ${s.count})`);
  if (!intIn(s.seed, 0, 2 ** 32 - 1)) throw new RangeError(`the seed must be a whole number from 0 to 4294967295 (got ${s.seed})`);
  if (!intIn(s.k, 1, vocab)) throw new RangeError(`k must be from 1 to the vocabulary size ${vocab} (got ${s.k})`);
}


export class SamplingSession {
  readonly config: DiTConfig;
  readonly kind: SamplerKind;
  readonly tokenizer: TextTokenizer | null;
  /** One display string per token id. */
  readonly pieces: string[];
  readonly usesEma: boolean;
  /** How the weights are stored on the backend. */
  readonly weightStorage: 'f32' | 'f16';
  /** Bytes the weights take on the backend (the teacher's included; 0 when a logits provider runs the network). */
  readonly weightBytes: number;
  /** Who computes the network's logits, for people: the backend, or the logits provider's runtime. */
  readonly runtime: string;
  /** The weights on the backend (null with a logits provider). */
  private readonly weights: Tensor | null;
  private readonly teacher: { config: DiTConfig; weights: Tensor | null } | null = null;
  private readonly provider: LogitsProvider | null;
  private readonly timeMap: TimeMap;
  private readonly samplers = new Map<number, StepSampler>();
  private readonly deviceFrames = new Map<number, DeviceFrames>();
  private readonly summaries: 'device' | 'host';

  /** `opts.teacher`: the FLM a stage-1 flow map was distilled from (the two-network sampler needs it). */
  constructor(readonly backend: Backend, ckpt: Checkpoint, opts: SessionOptions = {}) {
    const kind = samplerFor(ckpt.meta);
    if (kind === null || ckpt.config.causal) {
      throw new Error('this is an autoregressive judge (it scores samples in the evaluation); it is not a flow model to sample from');
    }
    this.kind = kind;
    this.weightStorage = opts.weights ?? 'f32';
    if (this.weightStorage === 'f16' && !(backend instanceof GpuBackend)) throw new RangeError('float16 weights are a WebGPU option (the CPU backends keep float32)');
    this.summaries = opts.summaries ?? 'device';
    this.provider = opts.logits ?? null;
    this.runtime = this.provider?.runtime ?? backend.description;
    let teacherBytes = 0;
    if (this.kind === 'two-network') {
      const f = opts.teacher;
      if (!f) throw new Error('this is a stage-1 flow map: sampling it needs its FLM teacher as well (the two-network sampler), or distil stage 2 for a one-step FMLM');
      if (f.config.twoTime || f.config.vocab !== ckpt.config.vocab || f.config.length !== ckpt.config.length) {
        throw new Error('the teacher must be an FLM with the same vocabulary and length as the flow map');
      }
      const placed = this.provider ? null : placeWeights(backend, f, f.config, this.weightStorage, 'sample.teacher', opts.onProgress);
      this.teacher = { config: f.config, weights: placed?.tensor ?? null };
      teacherBytes = placed?.bytes ?? 0;
    }
    this.config = ckpt.config;
    // A tokenizer named but not included (an official checkpoint's 'gpt2') is
    // resolved by the caller (the studio fetches it); the session shows ids.
    const tk = ckpt.meta.tokenizer;
    this.tokenizer = tk && tk.type !== 'hub' ? tokenizerFromJSON(tk) : null;
    const V = this.config.vocab;
    if (this.tokenizer && this.tokenizer.vocabSize !== V) {
      throw new Error(`the checkpoint's tokenizer has ${this.tokenizer.vocabSize} tokens but its model has vocabulary ${V}`);
    }
    this.pieces = tokenPieces(this.tokenizer, V);
    this.usesEma = !!ckpt.ema;
    const placed = this.provider ? null : placeWeights(backend, ckpt, ckpt.config, this.weightStorage, 'sample.weights', opts.onProgress);
    this.weights = placed?.tensor ?? null;
    this.weightBytes = (placed?.bytes ?? 0) + teacherBytes;
    this.timeMap = new TimeMap(V);
  }

  /**
   * A session whose weights are known to be on the device: WebGPU reports
   * running out of memory asynchronously, so this waits for the uploads and
   * turns such a failure into a ModelTooLargeError naming the model's size.
   */
  static async open(backend: Backend, ckpt: Checkpoint, opts: SessionOptions = {}): Promise<SamplingSession> {
    const session = new SamplingSession(backend, ckpt, opts);
    try {
      await backend.sync();
    } catch (e) {
      session.release();
      throw session.memoryError(e);
    }
    return session;
  }

  /** What the text is made of, for people. */
  get tokenizerName(): string {
    if (!this.tokenizer) return 'none (token ids)';
    return this.tokenizer instanceof BpeTokenizer ? 'byte-level BPE' : 'characters';
  }

  decode(ids: ArrayLike<number>): string {
    if (this.tokenizer) return this.tokenizer.decode(ids);
    return Array.from(ids, (i) => this.pieces[i]).join('');
  }

  private sampler(count: number): StepSampler {
    let s = this.samplers.get(count);
    if (!s) {
      if (this.backend instanceof GpuBackend) this.checkPlan(this.backend, count);
      try {
        s = this.makeSampler(this.backend, count);
      } catch (e) {
        throw this.memoryError(e, count);
      }
      this.samplers.set(count, s);
    }
    return s;
  }

  /** The sampler for `count` sequences: over the weights on the backend, or over the logits provider's sources. */
  private makeSampler(backend: Backend, count: number): StepSampler {
    const p = this.provider;
    const net = p ? p.source(backend, count, 'model') : this.weights;
    const teacher = this.teacher ? (p ? p.source(backend, count, 'teacher') : this.teacher.weights) : null;
    if (!net) throw new Error('this session has neither weights nor a logits provider');
    return makeSampler(backend, this.config, this.teacher?.config ?? null, count, net, teacher, this.timeMap);
  }

  /** What the model and `count` sequences need (see samplingPlan), with this session's weight bytes. */
  memoryPlan(count: number, limits: Record<string, number> = {}): SamplingPlan {
    const plan = samplingPlan(this.config, count, this.teacher?.config ?? null, this.timeMap);
    return { ...plan, weightBytes: this.weightBytes, limits };
  }

  /**
   * Before allocating for `count` sequences on WebGPU: every buffer under
   * maxBufferSize and every binding of an op without a chunked path under
   * maxStorageBufferBindingSize, or a ModelTooLargeError that says what does
   * not fit and how many sequences would.
   */
  private checkPlan(gpu: GpuBackend, count: number): void {
    const limits = { ...gpu.summary.limits, maxBufferSize: gpu.ctx.maxBufferBytes, maxStorageBufferBindingSize: gpu.ctx.maxBindingBytes };
    const problem = (c: number): string | null => {
      const plan = this.memoryPlan(c, limits);
      if (plan.largest.bytes > limits.maxBufferSize) return `its ${plan.largest.label} needs ${formatBytes(plan.largest.bytes)} in one buffer`;
      const bad = plan.bindings.find((b) => b.bytes > limits.maxStorageBufferBindingSize);
      return bad ? `${bad.op} would bind ${bad.label} of ${formatBytes(bad.bytes)} at once` : null;
    };
    const why = problem(count);
    if (!why) return;
    let fits = count - 1;
    while (fits > 0 && problem(fits)) fits--;
    const plan = this.memoryPlan(count, limits);
    throw new ModelTooLargeError(
      `${this.describeModel()} cannot sample ${count} sequence${count > 1 ? 's' : ''} at once on this device: ${why}, ` +
      `above its limits (${describeLimits(limits)}). ` +
      (fits > 0 ? `At most ${fits} at once fit${fits > 1 ? '' : 's'}.` : 'Not even one sequence fits: use a device with larger limits, or the CPU backend.'),
      plan);
  }

  private describeModel(): string {
    const n = paramLayout(this.config).count;
    return `This model (${(n / 1e6).toFixed(1)}M parameters, ${formatBytes(this.weightBytes)} of ${this.weightStorage === 'f16' ? 'float16' : 'float32'} weights, ` +
      `V = ${this.config.vocab}, L = ${this.config.length})`;
  }

  /** A WebGPU out-of-memory failure as a ModelTooLargeError naming the model's size and the device's limits (other errors as they are). */
  private memoryError(e: unknown, count?: number): unknown {
    if (!(e instanceof GpuOutOfMemoryError) || e instanceof ModelTooLargeError || !(this.backend instanceof GpuBackend)) return e;
    const gpu = this.backend;
    const limits = { ...gpu.summary.limits, maxBufferSize: gpu.ctx.maxBufferBytes };
    const plan = count ? this.memoryPlan(count, limits) : { parameters: paramLayout(this.config).count, weightBytes: this.weightBytes, limits };
    const work = 'workBytes' in plan && plan.workBytes ? ` and ${formatBytes(plan.workBytes)} more to sample ${count}` : '';
    return new ModelTooLargeError(
      `${this.describeModel()}${work} does not fit this device's memory (${describeLimits(limits)}): ${e.message}` +
      (this.weightStorage === 'f32' ? '. float16 weights would halve the weights.' : ''),
      plan);
  }

  /**
   * Sample with N Euler steps. With `onFrame`, each of the N + 1 frames is
   * summarised (top-k, entropy, argmax, decoded argmax text) and handed over
   * before the next step runs.
   */
  async run(s: SampleSettings, showFrame?: (f: FrameSummary) => void | Promise<void>): Promise<SampleRun> {
    checkSettings(s, this.config.vocab);
    const L = this.config.length, V = this.config.vocab, rows = s.count * L;
    const sampler = this.sampler(s.count);
    // The time the receiver of the frames takes (a page drawing them) is counted apart.
    let msFrames = 0;
    const onFrame = showFrame && (async (f: FrameSummary) => {
      const w0 = performance.now();
      await showFrame(f);
      msFrames += performance.now() - w0;
    });
    const t0 = performance.now();
    let tokens: Uint32Array;
    try {
      const device = this.deviceRun(sampler, s, onFrame);
      if (device) {
        tokens = await device;
      } else {
        const r = await sampler.sample(s.steps, s.seed, onFrame && (async (f) => {
          for (const x of f.p ? [f.z, f.p] : [f.z]) {
            const bad = firstNonFiniteRow(x, V);
            if (bad >= 0) throw new NonFiniteSampleError(f.step, Math.floor(bad / L), bad % L);
          }
          const sum = summarizeFrame(f, rows, V, s.k);
          sum.texts = this.texts(sum.argmaxZ, s.count);
          await onFrame(sum);
        }));
        const bad = firstNonFiniteRow(r.z, V);
        if (bad >= 0) throw new NonFiniteSampleError(s.steps, Math.floor(bad / L), bad % L);
        tokens = r.tokens;
      }
    } catch (e) {
      throw this.memoryError(e, s.count);
    }
    const ms = performance.now() - t0;
    const rowsOut = Array.from({ length: s.count }, (_, i) => Array.from(tokens.subarray(i * L, (i + 1) * L)));
    return {
      steps: s.steps, seed: s.seed, count: s.count, tokens: rowsOut,
      texts: rowsOut.map((r) => this.decode(r)),
      msTotal: ms, msPerStep: ms / s.steps, runtime: this.runtime, msFrames,
    };
  }

  private texts(argmax: Uint32Array, count: number): string[] {
    const L = this.config.length;
    return Array.from({ length: count }, (_, i) => this.decode(argmax.subarray(i * L, (i + 1) * L)));
  }

  /**
   * The sampling loop with the frames summarised on the device (WebGPU):
   * per frame only the summaries come back — O(count·L·k) numbers, never
   * [count, L, V] — and the tokens are the final state's argmax, computed
   * there too. Null where it does not apply (another backend, host
   * summaries asked for, k above DEVICE_MAX_K, a sampler without the
   * internals it drives); the run then takes the sampler's own loop.
   */
  private deviceRun(sampler: StepSampler, s: SampleSettings, onFrame?: (f: FrameSummary) => void | Promise<void>): Promise<Uint32Array> | null {
    const gpu = this.backend;
    if (!(gpu instanceof GpuBackend) || this.summaries !== 'device') return null;
    const k = onFrame ? Math.min(s.k, this.config.vocab) : 1;
    if (k > DEVICE_MAX_K) return null;
    const stepper = stepperOf(sampler);
    if (!stepper) return null;
    // One set of summary buffers per sample count, rebuilt when k changes.
    let dev = this.deviceFrames.get(s.count);
    if (dev && dev.k !== k) {
      dev.release();
      dev = undefined;
    }
    if (!dev) {
      dev = new DeviceFrames(gpu, stepper, s.count * this.config.length, this.config.vocab, k);
      this.deviceFrames.set(s.count, dev);
    }
    return this.runOnDevice(dev, stepper, s, onFrame);
  }

  private async runOnDevice(
    dev: DeviceFrames, stepper: Stepper, s: SampleSettings, onFrame?: (f: FrameSummary) => void | Promise<void>,
  ): Promise<Uint32Array> {
    const L = this.config.length;
    const fail = (step: number, row: number) => new NonFiniteSampleError(step, Math.floor(row / L), row % L);
    dev.seed = s.seed;
    dev.noise.run();
    for (let k = 0; k < s.steps; k++) {
      if (onFrame) dev.zProgram.run();
      stepper.step(k, s.steps);
      if (onFrame) {
        dev.pProgram.run();
        const f = await dev.read();
        const bad = f.zBad >= 0 ? f.zBad : f.pBad;
        if (bad >= 0) throw fail(k, bad);
        const tk = k / s.steps;
        const sum: FrameSummary = {
          step: k, t: tk, gamma: this.timeMap.gamma(tk), k: dev.k,
          zIds: f.zIds, zVals: f.zVals, pIds: f.pIds, pProbs: f.pVals, entropy: f.entropy, argmaxZ: f.argmaxZ, argmaxP: f.argmaxP,
        };
        sum.texts = this.texts(sum.argmaxZ, s.count);
        await onFrame(sum);
      }
    }
    // The final state: its argmax is the result; as a frame it stands in for its own prediction.
    dev.lastProgram.run();
    const f = await dev.read(true);
    if (f.zBad >= 0) throw fail(s.steps, f.zBad);
    if (onFrame) {
      const sum: FrameSummary = {
        step: s.steps, t: 1, gamma: this.timeMap.gamma(1), k: dev.k,
        zIds: f.zIds, zVals: f.zVals, pIds: f.zIds.slice(), pProbs: f.zVals.slice(), entropy: f.entropy,
        // A copy: a worker transfers the frame's buffers, and f.argmaxZ is also the result.
        argmaxZ: f.argmaxZ.slice(), argmaxP: f.argmaxZ.slice(),
      };
      sum.texts = this.texts(sum.argmaxZ, s.count);
      await onFrame(sum);
    }
    return f.argmaxZ;
  }

  release(): void {
    for (const d of this.deviceFrames.values()) d.release();
    this.deviceFrames.clear();
    for (const s of this.samplers.values()) s.release();
    this.samplers.clear();
    if (this.weights) this.backend.release(this.weights);
    if (this.teacher?.weights) this.backend.release(this.teacher.weights);
  }
}

// ---------------------------------------------------------------------------
// Samplers and their memory

function makeSampler(
  backend: Backend, config: DiTConfig, teacherConfig: DiTConfig | null, count: number,
  weights: Tensor | LogitsSource, teacher: Tensor | LogitsSource | null, timeMap: TimeMap,
): StepSampler {
  return teacherConfig && teacher
    ? new TwoNetworkSampler(backend, teacherConfig, config, count, { f: teacher, g: weights }, timeMap)
    : new EulerSampler(backend, config, count, weights, timeMap);
}

/** A sampler's memory: its buffers besides the weights, the largest, and the bindings of the ops without a chunked path on WebGPU. */
export interface SamplingPlan extends ModelMemoryPlan {
  tensors: { label: string; bytes: number }[];
  largest: { label: string; bytes: number };
  bindings: { op: string; label: string; bytes: number }[];
}

/**
 * What sampling `count` sequences of a model allocates besides its weights
 * (and its teacher's, for a stage-1 flow map), measured by building the
 * sampler on a backend that only records (PlanBackend): nothing is
 * allocated. `weightBytes` is the float32 size; the session's own figure
 * replaces it. The session's frame summary buffer, O(count·L·k), is not
 * counted.
 */
export function samplingPlan(config: DiTConfig, count: number, teacherConfig: DiTConfig | null = null, timeMap = new TimeMap(config.vocab)): SamplingPlan {
  const plan = new PlanBackend();
  const w = plan.tensor(1, 'weights'), tw = teacherConfig ? plan.tensor(1, 'teacher') : null;
  plan.tensors.length = 0;
  makeSampler(plan, config, teacherConfig, count, w, tw, timeMap);
  const parameters = paramLayout(config).count + (teacherConfig ? paramLayout(teacherConfig).count : 0);
  const weightBytes = 4 * (paramLayout(config).total + (teacherConfig ? paramLayout(teacherConfig).total : 0));
  return {
    parameters, weightBytes, workBytes: plan.tensors.reduce((a, t) => a + t.bytes, 0), count, limits: {},
    tensors: plan.tensors.map((t) => ({ label: t.label, bytes: t.bytes })),
    largest: plan.tensors.reduce((a, t) => (t.bytes > a.bytes ? { label: t.label, bytes: t.bytes } : a), { label: '', bytes: 0 }),
    bindings: plan.bindings,
  };
}

// ---------------------------------------------------------------------------
// Weights on the backend

/** The parameters only the matmul reads, as its weights operand: every linear layer's weight and the embedding. */
function matmulWeight(name: string, shape: number[]): boolean {
  return shape.length === 2 && (name.endsWith('.weight') || name === 'vocab_embed.embedding');
}

/** Floats written per call while uploading plain weights (progress granularity). */
const UPLOAD_SLICE = 16 * 2 ** 20;

/**
 * A checkpoint's model weights (the EMA when it has one, as uploadWeights
 * does) on the backend, with progress. On WebGPU, weights that fit one buffer
 * in float32 are one tensor, as everywhere; larger ones, or float16 ones, are
 * a pieced tensor — one piece per parameter, in buffers of at most
 * maxBufferSize, the matmul weights in float16 when asked — whose parameter
 * views the DiT binds as usual.
 */
function placeWeights(
  backend: Backend, w: Weights, config: DiTConfig, storage: 'f32' | 'f16', label: string, onProgress?: (p: LoadProgress) => void,
): { tensor: Tensor; bytes: number } {
  const data = modelWeights(w);
  const layout: ParamLayout = paramLayout(config);
  if (data.length !== layout.total) throw new RangeError(`${label}: the weights hold ${data.length} floats, the model needs ${layout.total}`);
  const what = `${label} (${formatBytes(layout.count * 4)})`;
  const gpu = backend instanceof GpuBackend ? backend : null;
  if (!gpu || (storage === 'f32' && data.byteLength <= gpu.ctx.maxBufferBytes)) {
    const t = backend.tensor(data.length, label);
    for (let o = 0; o < data.length; o += UPLOAD_SLICE) {
      const end = Math.min(data.length, o + UPLOAD_SLICE);
      backend.write(t, data.subarray(o, end), o);
      onProgress?.({ what, loaded: end * 4, total: data.byteLength });
    }
    return { tensor: t, bytes: data.byteLength };
  }
  const pieces = layout.specs.map((p) => ({ offset: p.offset, size: p.size, half: storage === 'f16' && matmulWeight(p.name, p.shape) }));
  const t = gpu.pieced(layout.total, pieces, label);
  const total = pieces.reduce((a, p) => a + p.size * 4, 0);
  let loaded = 0;
  for (const p of pieces) {
    backend.write(t, data.subarray(p.offset, p.offset + p.size), p.offset);
    loaded += p.size * 4;
    onProgress?.({ what, loaded, total });
  }
  return { tensor: t, bytes: (t as GpuPiecedTensor).bytes };
}

// ---------------------------------------------------------------------------
// Planning

interface PlannedTensor extends Tensor { bytes: number }

/**
 * A backend that only records: the tensors a sampler allocates (with their
 * bytes on WebGPU) and, for each op without a chunked path on WebGPU
 * (CHUNKED_OPS), the tensors it binds. Building a sampler on it costs
 * nothing and measures exactly what the real one will allocate.
 */
class PlanBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description = 'memory plan';
  readonly tensors: PlannedTensor[] = [];
  readonly bindings: { op: string; label: string; bytes: number }[] = [];
  readonly ops: Ops;

  constructor() {
    this.ops = new Proxy({} as Ops, {
      get: (_, op: string) => op === 'gradNormScratchSize'
        ? (n: number) => n
        : (...args: unknown[]) => {
            if (CHUNKED_OPS.has(op as keyof Ops)) return;
            for (const t of tensorArguments(args)) this.bindings.push({ op, label: t.label, bytes: t.size * 4 });
          },
    });
  }

  tensor(size: number, label = 'tensor', dtype: DType = 'f32'): Tensor {
    const t: PlannedTensor = { size, label, dtype, bytes: Math.max(16, Math.ceil((size * 4) / 16) * 16) };
    this.tensors.push(t);
    return t;
  }
  view(t: Tensor, _offset: number, size: number, label?: string): Tensor { return { size, dtype: t.dtype, label: label ?? t.label }; }
  write(): void {}
  read(): Promise<Float32Array> { throw new Error('a memory plan holds no data'); }
  readU32(): Promise<Uint32Array> { throw new Error('a memory plan holds no data'); }
  compile(fn: () => void): Program { fn(); return { run: () => undefined }; }
  async sync(): Promise<void> {}
  release(): void {}
  destroy(): void {}
}

// ---------------------------------------------------------------------------
// Frames summarised on the device

/** What the device loop drives of a sampler: its state z, the tensor its frames report as the prediction, one step. */
interface Stepper { state: Tensor; prediction: Tensor; step(k: number, steps: number): void }

/**
 * The sampler's state, prediction and step. StepSampler keeps them to itself
 * (its own loop reads both tensors back every frame); the device loop reads
 * them structurally, and a sampler without them takes its own loop.
 */
function stepperOf(sampler: StepSampler): Stepper | null {
  // A sampler with an external network (its logits awaited between programs) runs its own loop.
  if (!sampler.recorded) return null;
  const o = sampler as unknown as { state?: Tensor; prediction?: Tensor; runStep?: (k: number, steps: number) => void };
  if (!o.state || !o.prediction || typeof o.runStep !== 'function') return null;
  const runStep = o.runStep;
  return { state: o.state, prediction: o.prediction, step: (k, steps) => runStep.call(sampler, k, steps) };
}

/** One frame's summaries as read back: fresh arrays (transferable), argmaxes, the first non-finite rows. */
interface DeviceFrame {
  zIds: Uint32Array; zVals: Float32Array; pIds: Uint32Array; pVals: Float32Array; entropy: Float32Array;
  argmaxZ: Uint32Array; argmaxP: Uint32Array; zBad: number; pBad: number;
}

/**
 * The device side of frame summaries for one (count, k): one u32 buffer
 * holding z's and the prediction's top-k ids and values, the entropy and
 * the non-finite flags (each part 256-byte aligned), read back in one go;
 * programs that fill it (z before a step, the prediction after it, the
 * final state as both), and the sampler's noise.
 */
class DeviceFrames {
  seed = 0;
  readonly noise: Program;
  readonly zProgram: Program;
  readonly pProgram: Program;
  readonly lastProgram: Program;
  private readonly buf: Tensor;
  private readonly at: Record<'zIds' | 'zVals' | 'pIds' | 'pVals' | 'entropy' | 'zFlags' | 'pFlags', number>;

  constructor(private readonly gpu: GpuBackend, stepper: Stepper, private readonly rows: number, cols: number, readonly k: number) {
    const rk = rows * k;
    const sizes = { zIds: rk, zVals: rk, pIds: rk, pVals: rk, entropy: rows, zFlags: rows, pFlags: rows };
    let o = 0;
    const at = {} as Record<keyof typeof sizes, number>;
    for (const [name, n] of Object.entries(sizes) as [keyof typeof sizes, number][]) { at[name] = o; o = alignUp(o + n); }
    this.at = at;
    this.buf = gpu.tensor(o, 'frame summaries', 'u32');
    const v = (name: keyof typeof sizes) => gpu.view(this.buf, at[name], sizes[name], `frame ${name}`);
    const c = gpu.ctx, z = stepper.state, p = stepper.prediction;
    this.noise = gpu.compile(() => gpu.ops.gaussian(z, z.size, () => this.seed, STREAM.sampleNoise));
    this.zProgram = gpu.compile(() => deviceTopK(c, v('zIds'), v('zVals'), v('zFlags'), z, rows, cols, k));
    this.pProgram = gpu.compile(() => {
      deviceTopK(c, v('pIds'), v('pVals'), v('pFlags'), p, rows, cols, k);
      deviceEntropy(c, v('entropy'), p, rows, cols);
    });
    this.lastProgram = gpu.compile(() => {
      deviceTopK(c, v('zIds'), v('zVals'), v('zFlags'), z, rows, cols, k);
      deviceEntropy(c, v('entropy'), z, rows, cols);
    });
  }

  /** Read the summaries (`last`: the final state's, with no prediction of its own). */
  async read(last = false): Promise<DeviceFrame> {
    const words = await this.gpu.readU32(this.buf);
    const rows = this.rows, rk = rows * this.k, at = this.at;
    const u32 = (o: number, n: number) => words.slice(o, o + n);
    const f32 = (o: number, n: number) => new Float32Array(words.slice(o, o + n).buffer);
    const firstBad = (o: number) => { for (let r = 0; r < rows; r++) if (words[o + r]) return r; return -1; };
    const argmax = (o: number) => Uint32Array.from({ length: rows }, (_, r) => words[o + r * this.k]);
    return {
      zIds: u32(at.zIds, rk), zVals: f32(at.zVals, rk),
      pIds: last ? new Uint32Array(0) : u32(at.pIds, rk), pVals: last ? new Float32Array(0) : f32(at.pVals, rk),
      entropy: f32(at.entropy, rows), argmaxZ: argmax(at.zIds), argmaxP: last ? new Uint32Array(0) : argmax(at.pIds),
      zBad: firstBad(at.zFlags), pBad: last ? -1 : firstBad(at.pFlags),
    };
  }

  release(): void {
    for (const p of [this.noise, this.zProgram, this.pProgram, this.lastProgram]) (p as Program & { destroy?: () => void }).destroy?.();
    this.gpu.release(this.buf);
  }
}
