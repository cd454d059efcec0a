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
import { flowMapStep } from './distillCoefficients.ts';
import { afterLogits, networkOf, type LogitsSource } from './network.ts';

export class TwoNetworkSampler extends StepSampler {
  readonly f: LogitsSource;
  readonly g: LogitsSource;
  readonly recorded: boolean;
  private readonly D: Tensor;
  private readonly next: Tensor;
  private readonly coef: Tensor;
  /** The whole step as one program (both networks recorded). */
  private readonly stepProgram: Program | null = null;
  /** The step in two halves around the networks (an external one): f's softmax and g's input, then the update. */
  private readonly halves: { teacher: Program; flowMap: Program } | null = null;

  /**
   * `weights`: flat parameter tensors (shared) run by the studio's DiT, or
   * logits sources (e.g. exported models on onnxruntime) for `count`
   * sequences, which the sampler then owns.
   */
  constructor(
    backend: Backend, fConfig: DiTConfig, gConfig: DiTConfig, count: number,
    weights: { f: Tensor | LogitsSource; g: Tensor | LogitsSource }, timeMap?: TimeMap,
  ) {
    const f = networkOf(backend, fConfig, count, weights.f);
    const V = fConfig.vocab, rows = count * fConfig.length, n = rows * V;
    const D = backend.tensor(n, 'two.D');
    super(backend, count, timeMap ?? new TimeMap(V), f.x, D, V);
    this.f = f;
    this.D = D;
    this.g = networkOf(backend, gConfig, count, weights.g);
    this.recorded = !this.f.compute && !this.g.compute;
    this.next = backend.tensor(n, 'two.next');
    this.coef = backend.tensor(3 * count, 'two.coef');
    const ops = backend.ops, g = this.g;
    const teacher = () => {
      f.forward();
      ops.softmax(D, f.logits, rows, V);
      ops.axpby(g.x, 1, f.x, 0, f.x, n);
    };
    const flowMap = () => {
      g.forward();
      ops.lincomb3({ out: this.next, x: f.x, y: D, z: g.logits, c: this.coef }, n, fConfig.length * V);
      ops.axpby(f.x, 1, this.next, 0, this.next, n);
    };
    if (this.recorded) this.stepProgram = backend.compile(() => { teacher(); flowMap(); });
    else this.halves = { teacher: backend.compile(teacher), flowMap: backend.compile(flowMap) };
  }

  protected runStep(k: number, steps: number): void | Promise<void> {
    const t0 = k / steps, t1 = (k + 1) / steps;
    const fill = (v: number) => new Float32Array(this.count).fill(v);
    this.backend.write(this.f.t, fill(t0));
    this.backend.write(this.g.t, fill(t0));
    this.backend.write(this.g.tPrime!, fill(t1));
    this.backend.write(this.coef, flowMapStep(fill(this.timeMap.gamma(t0)), fill(this.timeMap.gamma(t1))));
    const halves = this.halves;
    if (!halves) { this.stepProgram!.run(); return; }
    return (async () => {
      await afterLogits(this.f, () => halves.teacher.run());
      await afterLogits(this.g, () => halves.flowMap.run());
    })();
  }

  release(): void {
    this.f.release();
    this.g.release();
    for (const t of [this.D, this.next, this.coef]) this.backend.release(t);
  }
}
