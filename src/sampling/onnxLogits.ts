/**
 * The network as an exported ONNX model (src/io/onnx/, docs/onnx.md) on
 * onnxruntime — web or node, whichever module the caller hands in — as a
 * logits source for the studio's own samplers (src/flm/network.ts): the
 * noise, softmax, updates and frames stay the studio's; only the logits
 * come from onnxruntime.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import type { LogitsProvider, LogitsSource } from '../flm/network.ts';
import type { DiTConfig } from '../model/config.ts';
import { ONNX_INPUTS, ONNX_OUTPUT } from '../io/onnx/index.ts';

/** What this module needs of onnxruntime's module (onnxruntime-web and onnxruntime-node both fit). */
export interface OrtModule<T = unknown> {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => T;
}

/** What this module needs of an onnxruntime InferenceSession. */
export interface OrtSession<T = unknown> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, T>): Promise<Record<string, { readonly data: unknown }>>;
  release(): Promise<void>;
}

/** The inputs an exported DiT of `config` must have, and its output; an error saying what differs. */
export function checkOnnxSignature(session: { inputNames: readonly string[]; outputNames: readonly string[] }, config: DiTConfig): void {
  const want = [ONNX_INPUTS.xt, ONNX_INPUTS.t, ...(config.twoTime ? [ONNX_INPUTS.tPrime] : [])];
  if (want.some((n) => !session.inputNames.includes(n)) || !session.outputNames.includes(ONNX_OUTPUT)) {
    throw new Error(`this ONNX model has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}; ` +
      `a ${config.twoTime ? 'two' : 'one'}-time FLM Studio DiT has ${want.join(', ')} → ${ONNX_OUTPUT}`);
  }
}

/** One exported DiT in an onnxruntime session: logits [count·L·V] of (x, t[, t']). */
export class OnnxModel<T = unknown> {
  /** Milliseconds spent in onnxruntime's run() since the last reset (for the runtime's share of a sample's time). */
  runMs = 0;

  constructor(private readonly ort: OrtModule<T>, readonly session: OrtSession<T>, readonly config: DiTConfig) {
    checkOnnxSignature(session, config);
  }

  /** logits of x [count, L, V] at times t (and t' for two-time models), one value per sequence. */
  async logits(x: Float32Array, t: Float32Array, tPrime: Float32Array | null): Promise<Float32Array> {
    const { length: L, vocab: V } = this.config, count = t.length;
    if (x.length !== count * L * V) throw new RangeError(`x holds ${x.length} values, ${count} sequences need ${count * L * V}`);
    const feeds: Record<string, T> = {
      [ONNX_INPUTS.xt]: new this.ort.Tensor('float32', x, [count, L, V]),
      [ONNX_INPUTS.t]: new this.ort.Tensor('float32', t, [count]),
    };
    if (this.config.twoTime) {
      if (!tPrime) throw new Error('a two-time model needs t_prime');
      feeds[ONNX_INPUTS.tPrime] = new this.ort.Tensor('float32', tPrime, [count]);
    }
    const t0 = performance.now();
    const out = await this.session.run(feeds);
    this.runMs += performance.now() - t0;
    const y = out[ONNX_OUTPUT]?.data;
    if (!(y instanceof Float32Array) || y.length !== x.length) {
      throw new Error(`the ONNX model returned ${y instanceof Float32Array ? `${y.length} logits` : 'no float32 logits'}, expected ${x.length}`);
    }
    return y;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * A logits source on `host` (the backend the sampler's math runs on) whose
 * logits come from `model`: compute() reads x, t (and t') back, runs the
 * model and writes the logits.
 */
export class OnnxLogits implements LogitsSource {
  readonly x: Tensor;
  readonly t: Tensor;
  readonly tPrime: Tensor | null;
  readonly logits: Tensor;

  constructor(private readonly host: Backend, private readonly model: OnnxModel, count: number) {
    const { length: L, vocab: V, twoTime } = model.config;
    this.x = host.tensor(count * L * V, 'onnx.x');
    this.t = host.tensor(count, 'onnx.t');
    this.tPrime = twoTime ? host.tensor(count, "onnx.t'") : null;
    this.logits = host.tensor(count * L * V, 'onnx.logits');
  }

  get cfg(): DiTConfig { return this.model.config; }

  /** Nothing to record: the logits are computed outside the backend's programs. */
  forward(): void {}

  async compute(): Promise<void> {
    const [x, t, tp] = await Promise.all([this.host.read(this.x), this.host.read(this.t), this.tPrime ? this.host.read(this.tPrime) : null]);
    this.host.write(this.logits, await this.model.logits(x, t, tp));
  }

  release(): void {
    for (const t of [this.x, this.t, this.tPrime, this.logits]) if (t) this.host.release(t);
  }
}

/**
 * A session's logits provider over exported models: `model`, and for a
 * stage-1 flow map its FLM `teacher`. `runtime` names the runtime for people.
 */
export function onnxLogitsProvider(runtime: string, model: OnnxModel, teacher: OnnxModel | null = null): LogitsProvider {
  return {
    runtime,
    source(backend, count, which) {
      const m = which === 'teacher' ? teacher : model;
      if (!m) throw new Error('this model has no FLM teacher exported to ONNX (the two-network sampler needs it)');
      return new OnnxLogits(backend, m, count);
    },
  };
}
