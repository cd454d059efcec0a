/**
 * The stage-1 two-network flow-map sampler (spec section 6): N steps of
 *   z ← X_{t_k, t_{k+1}}(z) = z + Δ·v_f(z, t_k) + ½Δ²·g(z, t_k, t_{k+1}),
 * t_k = k/N, two forward passes per step (teacher f and flow map g);
 * tokens = argmax z. Frames report z_k and the teacher's prediction
 * softmax f(z_k, t_k), like the Euler sampler's.
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import { StepSampler } from './sampler.ts';
import { TimeMap } from './timeMap.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { flowMapStep } from './distillCoefficients.ts';

export class TwoNetworkSampler extends StepSampler {
  readonly f: DiT;
  readonly g: DiT;
  private readonly D: Tensor;
  private readonly next: Tensor;
  private readonly coef: Tensor;
  private readonly stepProgram: Program;

  constructor(
    backend: Backend, fConfig: DiTConfig, gConfig: DiTConfig, count: number,
    weights: { f: Tensor; g: Tensor }, timeMap?: TimeMap,
  ) {
    const f = new DiT(backend, fConfig, count, { params: weights.f, inference: true });
    const V = fConfig.vocab, rows = count * fConfig.length, n = rows * V;
    const D = backend.tensor(n, 'two.D');
    super(backend, count, timeMap ?? new TimeMap(V), f.x, D, V);
    this.f = f;
    this.D = D;
    this.g = new DiT(backend, gConfig, count, { params: weights.g, inference: true });
    this.next = backend.tensor(n, 'two.next');
    this.coef = backend.tensor(3 * count, 'two.coef');
    const ops = backend.ops, g = this.g;
    this.stepProgram = backend.compile(() => {
      f.forward();
      ops.softmax(D, f.logits, rows, V);
      ops.axpby(g.x, 1, f.x, 0, f.x, n);
      g.forward();
      ops.lincomb3(this.next, f.x, D, g.logits, this.coef, n, fConfig.length * V);
      ops.axpby(f.x, 1, this.next, 0, this.next, n);
    });
  }

  protected runStep(k: number, steps: number): void {
    const t0 = k / steps, t1 = (k + 1) / steps;
    const fill = (v: number) => new Float32Array(this.count).fill(v);
    this.backend.write(this.f.t, fill(t0));
    this.backend.write(this.g.t, fill(t0));
    this.backend.write(this.g.tPrime!, fill(t1));
    this.backend.write(this.coef, flowMapStep(fill(this.timeMap.gamma(t0)), fill(this.timeMap.gamma(t1))));
    this.stepProgram.run();
  }

  release(): void {
    this.f.release();
    this.g.release();
    for (const t of [this.D, this.next, this.coef]) this.backend.release(t);
  }
}
