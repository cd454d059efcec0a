/**
 * The stage-1 two-network flow-map sampler (spec section 6): N steps of
 *   z ← X_{t_k, t_{k+1}}(z) = z + Δ·v_f(z, t_k) + ½Δ²·g(z, t_k, t_{k+1}),
 * t_k = k/N, two forward passes per step (teacher f and flow map g);
 * tokens = argmax z. Frames report z_k and the teacher's prediction
 * softmax f(z_k, t_k), like the Euler sampler's.
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import { argmaxRows, type SampleFrame } from '../flm/sampler.ts';
import { STREAM } from '../flm/random.ts';
import { TimeMap } from '../flm/timeMap.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { flowMapStep } from './coefficients.ts';

export class TwoNetworkSampler {
  readonly f: DiT;
  readonly g: DiT;
  private readonly D: Tensor;
  private readonly next: Tensor;
  private readonly coef: Tensor;
  private readonly timeMap: TimeMap;
  private readonly noiseProgram: Program;
  private readonly stepProgram: Program;
  private readonly n: number;
  private seed = 0;

  constructor(
    readonly backend: Backend, fConfig: DiTConfig, gConfig: DiTConfig, readonly count: number,
    weights: { f: Tensor; g: Tensor }, timeMap?: TimeMap,
  ) {
    this.f = new DiT(backend, fConfig, count, { params: weights.f, inference: true });
    this.g = new DiT(backend, gConfig, count, { params: weights.g, inference: true });
    const V = fConfig.vocab, rows = count * fConfig.length;
    this.n = rows * V;
    this.D = backend.tensor(this.n, 'two.D');
    this.next = backend.tensor(this.n, 'two.next');
    this.coef = backend.tensor(3 * count, 'two.coef');
    this.timeMap = timeMap ?? new TimeMap(V);
    const ops = backend.ops, { f, g, n } = this;
    this.noiseProgram = backend.compile(() => ops.gaussian(f.x, n, () => this.seed, STREAM.sampleNoise));
    this.stepProgram = backend.compile(() => {
      f.forward();
      ops.softmax(this.D, f.logits, rows, V);
      ops.axpby(g.x, 1, f.x, 0, f.x, n);
      g.forward();
      ops.lincomb3(this.next, f.x, this.D, g.logits, this.coef, n, fConfig.length * V);
      ops.axpby(f.x, 1, this.next, 0, this.next, n);
    });
  }

  private runStep(k: number, steps: number): void {
    const t0 = k / steps, t1 = (k + 1) / steps;
    const fill = (v: number) => new Float32Array(this.count).fill(v);
    this.backend.write(this.f.t, fill(t0));
    this.backend.write(this.g.t, fill(t0));
    this.backend.write(this.g.tPrime!, fill(t1));
    this.backend.write(this.coef, flowMapStep(fill(this.timeMap.gamma(t0)), fill(this.timeMap.gamma(t1))));
    this.stepProgram.run();
  }

  /** One step k of an N-step schedule from z_k; returns z_{k+1}. */
  async stepFrom(z: Float32Array, k: number, steps: number): Promise<Float32Array> {
    this.backend.write(this.f.x, z);
    this.runStep(k, steps);
    return this.backend.read(this.f.x);
  }

  async sample(
    steps: number, seed: number, onFrame?: (f: SampleFrame) => void | Promise<void>, z0?: Float32Array,
  ): Promise<{ tokens: Uint32Array; z: Float32Array }> {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
    this.seed = seed;
    if (z0) this.backend.write(this.f.x, z0);
    else this.noiseProgram.run();
    for (let k = 0; k < steps; k++) {
      const zk = onFrame ? await this.backend.read(this.f.x) : undefined;
      this.runStep(k, steps);
      if (onFrame) {
        const tk = k / steps;
        await onFrame({ step: k, t: tk, gamma: this.timeMap.gamma(tk), z: zk!, p: await this.backend.read(this.D) });
      }
    }
    const z = await this.backend.read(this.f.x);
    if (onFrame) await onFrame({ step: steps, t: 1, gamma: this.timeMap.gamma(1), z, p: undefined });
    const V = this.f.cfg.vocab;
    return { tokens: argmaxRows(z, this.count * this.f.cfg.length, V), z };
  }

  release(): void {
    this.f.release();
    this.g.release();
    for (const t of [this.D, this.next, this.coef]) this.backend.release(t);
  }
}
