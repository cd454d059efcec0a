/**
 * FLM Euler sampling with N steps (spec section 5):
 *   t_k = k/N, γ_k = γ(t_k), z ~ N(0, I);
 *   p = softmax(DiT(z, t_k)); last step z = p, else
 *   z ← z + (γ_{k+1} − γ_k)·(p − z)/(1 − γ_k + 1e−5).
 * With a two-time model δ (an FMLM, spec section 7) the same loop is the
 * one-network flow-map sampler: p = softmax δ(z, t_k, t_{k+1}); with N = 1,
 * one-step generation argmax softmax δ(z0, 0, 1).
 * Runs on any backend; deterministic given weights, seed and N.
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import type { DiTConfig } from '../model/config.ts';
import { afterLogits, networkOf, type LogitsSource } from './network.ts';
import { STREAM } from './random.ts';
import { TimeMap } from './timeMap.ts';

/** Frame k of an N-step trajectory: the state at t_k and what the model predicts from it. */
export interface SampleFrame {
  /** k = 0..N (frame 0 is the noise, frame N the final state). */
  step: number;
  /** Model time t_k = k/N. */
  t: number;
  /** Interpolation γ(t_k). */
  gamma: number;
  /** The state z_k, [count, L, V]. */
  z: Float32Array;
  /** softmax(DiT(z_k, t_k)), [count, L, V]; absent on the final frame (there is no step after it). */
  p?: Float32Array;
}

/**
 * The loop every sampler shares: z_0 from the counter-based generator (the
 * `sampleNoise` stream, so the noise depends only on the seed and the shape)
 * or given, N steps, a frame after each step (z_k and the prediction made
 * from it) plus the final state, and the argmax tokens. A subclass supplies
 * the state tensor z, the tensor its frames report as the prediction, and
 * one step of its update.
 */
export abstract class StepSampler {
  private seed = 0;
  private readonly noiseProgram: Program;

  constructor(
    readonly backend: Backend, readonly count: number, protected readonly timeMap: TimeMap,
    private readonly state: Tensor, private readonly prediction: Tensor, private readonly vocab: number,
  ) {
    this.noiseProgram = backend.compile(() => backend.ops.gaussian(state, state.size, () => this.seed, STREAM.sampleNoise));
  }

  /**
   * Step k of an N-step schedule, from the state tensor to the state tensor.
   * Synchronous when every network is recorded into the backend's programs;
   * a promise when one is external (its logits computed outside, e.g. on
   * onnxruntime).
   */
  protected abstract runStep(k: number, steps: number): void | Promise<void>;

  /** Whether every step runs as the backend's own programs (no external network to await). */
  abstract readonly recorded: boolean;

  /** Release the sampler's own buffers (shared weights stay). */
  abstract release(): void;

  /** One step k of an N-step schedule from a given state z_k; returns z_{k+1}. */
  async stepFrom(z: Float32Array, k: number, steps: number): Promise<Float32Array> {
    this.backend.write(this.state, z);
    await this.runStep(k, steps);
    return this.backend.read(this.state);
  }

  /**
   * Sample `count` sequences with N steps. `onFrame` sees N + 1 frames:
   * frame k (after step k has run) carries z_k and the prediction made from it.
   */
  async sample(
    steps: number, seed: number, onFrame?: (f: SampleFrame) => void | Promise<void>, z0?: Float32Array,
  ): Promise<{ tokens: Uint32Array; z: Float32Array }> {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
    this.seed = seed;
    if (z0) this.backend.write(this.state, z0);
    else this.noiseProgram.run();
    for (let k = 0; k < steps; k++) {
      const zk = onFrame ? await this.backend.read(this.state) : undefined;
      await this.runStep(k, steps);
      if (onFrame) {
        const tk = k / steps;
        await onFrame({ step: k, t: tk, gamma: this.timeMap.gamma(tk), z: zk!, p: await this.backend.read(this.prediction) });
      }
    }
    const z = await this.backend.read(this.state);
    if (onFrame) await onFrame({ step: steps, t: 1, gamma: this.timeMap.gamma(1), z });
    return { tokens: argmaxRows(z, z.length / this.vocab, this.vocab), z };
  }
}

export class EulerSampler extends StepSampler {
  /** The network: the studio's DiT on the backend, or an external logits source. */
  readonly model: LogitsSource;
  readonly recorded: boolean;
  private readonly p: Tensor;
  private readonly tmp: Tensor;
  private readonly stepProgram: Program;
  private readonly lastProgram: Program;
  private coef = 0;

  /**
   * `params` is a flat parameter tensor (usually the EMA weights; shared, not
   * copied), run by the studio's DiT, or a logits source (e.g. an exported
   * model on onnxruntime) for `count` sequences, which the sampler then owns.
   */
  constructor(backend: Backend, readonly config: DiTConfig, count: number, params: Tensor | LogitsSource, timeMap?: TimeMap) {
    const model = networkOf(backend, config, count, params);
    const n = count * config.length * config.vocab;
    const p = backend.tensor(n, 'sample.p');
    super(backend, count, timeMap ?? new TimeMap(config.vocab), model.x, p, config.vocab);
    this.model = model;
    this.recorded = !model.compute;
    this.p = p;
    this.tmp = backend.tensor(n, 'sample.tmp');
    const ops = backend.ops, m = this.model, V = config.vocab, rows = count * config.length;
    this.stepProgram = backend.compile(() => {
      m.forward();
      ops.softmax(this.p, m.logits, rows, V);
      ops.axpby(this.tmp, () => 1 - this.coef, m.x, () => this.coef, this.p, n);
      ops.axpby(m.x, 1, this.tmp, 0, this.tmp, n);
    });
    this.lastProgram = backend.compile(() => {
      m.forward();
      ops.softmax(this.p, m.logits, rows, V);
      ops.axpby(m.x, 1, this.p, 0, this.p, n);
    });
  }

  /** Release the sampler's own buffers and its network's (the shared parameters stay; a logits source given to it is its own). */
  release(): void {
    this.model.release();
    this.backend.release(this.p);
    this.backend.release(this.tmp);
  }

  /** The network's times: t_k, and for a two-time model the step's end t_{k+1}. */
  private writeTime(t: number, tNext: number): void {
    this.backend.write(this.model.t, new Float32Array(this.count).fill(t));
    if (this.model.tPrime) this.backend.write(this.model.tPrime, new Float32Array(this.count).fill(tNext));
  }

  protected runStep(k: number, steps: number): void | Promise<void> {
    const tk = k / steps, gk = this.timeMap.gamma(tk), gk1 = this.timeMap.gamma((k + 1) / steps);
    this.writeTime(tk, (k + 1) / steps);
    if (k === steps - 1) return afterLogits(this.model, () => this.lastProgram.run());
    this.coef = (gk1 - gk) / (1 - gk + 1e-5);
    return afterLogits(this.model, () => this.stepProgram.run());
  }
}

export function argmaxRows(z: Float32Array, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0, bv = -Infinity;
    for (let j = 0; j < cols; j++) if (z[r * cols + j] > bv) { bv = z[r * cols + j]; best = j; }
    out[r] = best;
  }
  return out;
}
