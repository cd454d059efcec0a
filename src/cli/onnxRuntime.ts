/**
 * Sampling with onnxruntime (`flm sample --runtime onnx`): the network's
 * logits come from an exported ONNX model run by onnxruntime-node, an
 * independent runtime; everything else is the studio's own math on the CPU
 * reference backend — the noise z_0 (the same counter-based stream as the
 * studio's samplers), softmax, the Euler / flow-map update, the two-network
 * combination — so a sample differs from the studio's only through the
 * logits. The loop mirrors StepSampler, EulerSampler and TwoNetworkSampler
 * (src/flm/) step for step, and the run SamplingSession.run (frames,
 * non-finite checks, decoding).
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { Backend, Tensor } from '../engine/backend.ts';
import { flowMapStep } from '../flm/distillCoefficients.ts';
import { STREAM } from '../flm/random.ts';
import { argmaxRows, type SampleFrame } from '../flm/sampler.ts';
import { TimeMap } from '../flm/timeMap.ts';
import type { DiTConfig } from '../model/config.ts';
import { ONNX_INPUTS, ONNX_OUTPUT } from '../io/onnx/index.ts';
import { firstNonFiniteRow, summarizeFrame, type FrameSummary } from '../sampling/frames.ts';
import { checkSettings, NonFiniteSampleError, type SampleRun, type SampleSettings, type SamplingSession } from '../sampling/session.ts';

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | null = null;

/** onnxruntime-node, loaded on first use (a devDependency: only this option needs it). */
export function loadOnnxRuntime(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((e: unknown) => {
    ortModule = null;
    throw new Error(`--runtime onnx needs onnxruntime-node (npm install): ${(e as Error).message}`);
  });
  return ortModule;
}

/** One exported DiT in an onnxruntime session: logits [count·L·V] of (x, t[, t']). */
export class OnnxNetwork {
  private constructor(private readonly ort: Ort, readonly session: InferenceSession, readonly config: DiTConfig) {}

  static async create(bytes: Uint8Array, config: DiTConfig, options: InferenceSession.SessionOptions = {}): Promise<OnnxNetwork> {
    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(bytes, options);
    const want = [ONNX_INPUTS.xt, ONNX_INPUTS.t, ...(config.twoTime ? [ONNX_INPUTS.tPrime] : [])];
    if (want.some((n) => !session.inputNames.includes(n)) || !session.outputNames.includes(ONNX_OUTPUT)) {
      throw new Error(`this ONNX model has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}; a ${config.twoTime ? 'two' : 'one'}-time FLM Studio DiT has ${want.join(', ')} → ${ONNX_OUTPUT}`);
    }
    return new OnnxNetwork(ort, session, config);
  }

  /** logits of x [count, L, V] at times t (and t' for two-time models), one value per item. */
  async logits(x: Float32Array, t: Float32Array, tPrime: Float32Array | null): Promise<Float32Array> {
    const { length: L, vocab: V } = this.config, count = t.length;
    const feeds: Record<string, OrtTensor> = {
      [ONNX_INPUTS.xt]: new this.ort.Tensor('float32', x, [count, L, V]),
      [ONNX_INPUTS.t]: new this.ort.Tensor('float32', t, [count]),
    };
    if (this.config.twoTime) {
      if (!tPrime) throw new Error('a two-time model needs t_prime');
      feeds[ONNX_INPUTS.tPrime] = new this.ort.Tensor('float32', tPrime, [count]);
    }
    const out = await this.session.run(feeds);
    const y = out[ONNX_OUTPUT].data;
    if (!(y instanceof Float32Array) || y.length !== x.length) throw new Error(`the ONNX model returned ${y.length} logits, expected ${x.length}`);
    return y;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The studio's samplers with the network replaced by onnxruntime: the Euler /
 * one-network flow-map sampler (`net` alone), or the two-network sampler
 * (`teacher` = the FLM f, `net` = the stage-1 flow map g).
 */
export class OnnxSampler {
  private readonly timeMap: TimeMap;
  private readonly n: number;
  private readonly z: Tensor;
  private readonly logits: Tensor;
  private readonly gLogits: Tensor;
  private readonly p: Tensor;
  private readonly tmp: Tensor;
  private readonly coef: Tensor;

  /** `host`: a CPU reference backend for the math around the network (its ops run when called). */
  constructor(
    private readonly host: Backend, private readonly net: OnnxNetwork, readonly count: number,
    private readonly teacher: OnnxNetwork | null = null, timeMap?: TimeMap,
  ) {
    const { length: L, vocab: V } = net.config;
    this.timeMap = timeMap ?? new TimeMap(V);
    this.n = count * L * V;
    const T = (label: string) => host.tensor(this.n, label);
    this.z = T('onnx.z'); this.logits = T('onnx.logits'); this.gLogits = T('onnx.g'); this.p = T('onnx.p'); this.tmp = T('onnx.tmp');
    this.coef = host.tensor(3 * count, 'onnx.coef');
  }

  private fill(v: number): Float32Array {
    return new Float32Array(this.count).fill(v);
  }

  /** Step k of N from the state in `z` to the state in `z` (EulerSampler / TwoNetworkSampler.runStep). */
  private async step(k: number, steps: number): Promise<void> {
    const ops = this.host.ops, { length: L, vocab: V } = this.net.config, rows = this.count * L, n = this.n;
    const t0 = k / steps, t1 = (k + 1) / steps;
    const z = await this.host.read(this.z);
    if (this.teacher) {
      this.host.write(this.logits, await this.teacher.logits(z, this.fill(t0), null));
      ops.softmax(this.p, this.logits, rows, V);
      this.host.write(this.gLogits, await this.net.logits(z, this.fill(t0), this.fill(t1)));
      this.host.write(this.coef, flowMapStep(this.fill(this.timeMap.gamma(t0)), this.fill(this.timeMap.gamma(t1))));
      ops.lincomb3(this.tmp, this.z, this.p, this.gLogits, this.coef, n, L * V);
      ops.axpby(this.z, 1, this.tmp, 0, this.tmp, n);
      return;
    }
    this.host.write(this.logits, await this.net.logits(z, this.fill(t0), this.net.config.twoTime ? this.fill(t1) : null));
    ops.softmax(this.p, this.logits, rows, V);
    if (k === steps - 1) {
      ops.axpby(this.z, 1, this.p, 0, this.p, n);
    } else {
      const gk = this.timeMap.gamma(t0), gk1 = this.timeMap.gamma(t1);
      const coef = (gk1 - gk) / (1 - gk + 1e-5);
      ops.axpby(this.tmp, 1 - coef, this.z, coef, this.p, n);
      ops.axpby(this.z, 1, this.tmp, 0, this.tmp, n);
    }
  }

  /** As StepSampler.sample: z_0 from the seed (or given), N steps, N + 1 frames, argmax tokens. */
  async sample(
    steps: number, seed: number, onFrame?: (f: SampleFrame) => void | Promise<void>, z0?: Float32Array,
  ): Promise<{ tokens: Uint32Array; z: Float32Array }> {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
    if (z0) this.host.write(this.z, z0);
    else this.host.ops.gaussian(this.z, this.n, seed, STREAM.sampleNoise);
    for (let k = 0; k < steps; k++) {
      const zk = onFrame ? await this.host.read(this.z) : undefined;
      await this.step(k, steps);
      if (onFrame) {
        const tk = k / steps;
        await onFrame({ step: k, t: tk, gamma: this.timeMap.gamma(tk), z: zk!, p: await this.host.read(this.p) });
      }
    }
    const z = await this.host.read(this.z);
    if (onFrame) await onFrame({ step: steps, t: 1, gamma: this.timeMap.gamma(1), z });
    const V = this.net.config.vocab;
    return { tokens: argmaxRows(z, z.length / V, V), z };
  }

  release(): void {
    for (const t of [this.z, this.logits, this.gLogits, this.p, this.tmp, this.coef]) this.host.release(t);
  }
}

/**
 * SamplingSession.run with the network on onnxruntime: the session gives the
 * model, its tokenizer and checks; `sampler` the numbers.
 */
export async function runWithOnnx(
  session: SamplingSession, sampler: OnnxSampler, s: SampleSettings, onFrame?: (f: FrameSummary) => void | Promise<void>,
): Promise<SampleRun> {
  checkSettings(s, session.config.vocab);
  const L = session.config.length, V = session.config.vocab, rows = s.count * L;
  if (sampler.count !== s.count) throw new RangeError(`this sampler draws ${sampler.count} samples, not ${s.count}`);
  const t0 = performance.now();
  const { tokens, z } = await sampler.sample(s.steps, s.seed, onFrame && (async (f) => {
    for (const x of f.p ? [f.z, f.p] : [f.z]) {
      const bad = firstNonFiniteRow(x, V);
      if (bad >= 0) throw new NonFiniteSampleError(f.step, Math.floor(bad / L), bad % L);
    }
    const sum = summarizeFrame(f, rows, V, s.k);
    sum.texts = Array.from({ length: s.count }, (_, i) => session.decode(sum.argmaxZ.subarray(i * L, (i + 1) * L)));
    await onFrame(sum);
  }));
  const ms = performance.now() - t0;
  const bad = firstNonFiniteRow(z, V);
  if (bad >= 0) throw new NonFiniteSampleError(s.steps, Math.floor(bad / L), bad % L);
  const rowsOut = Array.from({ length: s.count }, (_, i) => Array.from(tokens.subarray(i * L, (i + 1) * L)));
  return {
    steps: s.steps, seed: s.seed, count: s.count, tokens: rowsOut,
    texts: rowsOut.map((r) => session.decode(r)), msTotal: ms, msPerStep: ms / s.steps,
  };
}
