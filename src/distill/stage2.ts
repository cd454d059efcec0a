/**
 * Flow-map distillation, stage 2 (spec section 7): frozen teachers f (FLM)
 * and g (stage 1), a two-time student δ. Per batch, with t = s + d:
 *
 *   F  = x_s + Δ·v_f(x_s, s) + ½Δ²·g(x_s, s, t)                   (target)
 *   F̂  = x_s + Δ·(softmax δ(x_s, s, t) − x_s)/(1 − γ_s + 1e−5)    (student)
 *   loss = mean over tokens of Σ_v (F − F̂)²                        (no weighting)
 *
 * The gradient reaches δ through the softmax. One recorded program.
 */
import type { Backend, Program, Scalar, Tensor } from '../engine/backend.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { flowMapStep, stage2Scale } from '../flm/distillCoefficients.ts';

export interface Stage2Batch {
  tokens: Uint32Array;
  s: Float32Array;
  t: Float32Array;
  gs: Float32Array;
  gt: Float32Array;
}

export interface Stage2RecordOptions {
  /** Draw ε in the program (else the caller writes `eps`, or `xs` with `noising: false`). */
  noise?: { seed: Scalar; counter: Scalar };
  noising?: boolean;
  /** Also the student's gradients (default). */
  gradient?: boolean;
}

export class Stage2Loss {
  readonly f: DiT;
  readonly g: DiT;
  readonly student: DiT;
  readonly rows: number;
  readonly n: number;
  readonly eps: Tensor;
  /** x_s: drawn by the noising path, or written by the caller with `noising: false`. */
  readonly xs: Tensor;
  readonly F: Tensor;
  /** The student's probabilities softmax δ(x_s, s, t). */
  readonly q: Tensor;
  private readonly Ds: Tensor;
  private readonly times: { s: Tensor; t: Tensor; gs: Tensor };
  private readonly coef: { F: Tensor; a: Tensor };
  private readonly owned: Tensor[];

  constructor(
    readonly backend: Backend,
    fConfig: DiTConfig,
    gConfig: DiTConfig,
    sConfig: DiTConfig,
    readonly batch: number,
    weights: { f: Tensor; g: Tensor; student?: Tensor },
  ) {
    if (fConfig.twoTime || !gConfig.twoTime || !sConfig.twoTime) throw new Error('stage 2 needs a one-time FLM f, a two-time g and a two-time student');
    for (const c of [gConfig, sConfig]) {
      if (c.vocab !== fConfig.vocab || c.length !== fConfig.length) throw new Error('the three networks disagree on vocabulary or length');
    }
    this.f = new DiT(backend, fConfig, batch, { params: weights.f, inference: true });
    this.g = new DiT(backend, gConfig, batch, { params: weights.g, inference: true });
    this.student = new DiT(backend, sConfig, batch, weights.student ? { params: weights.student } : {});
    const L = sConfig.length, V = sConfig.vocab;
    this.rows = batch * L;
    this.n = this.rows * V;
    const t = (size: number, label: string) => backend.tensor(size, `stage2.${label}`);
    this.eps = t(this.n, 'eps');
    this.xs = t(this.n, 'x_s');
    this.F = t(this.n, 'F');
    this.q = t(this.n, 'q');
    this.Ds = t(this.n, 'D_s');
    this.times = { s: t(batch, 's'), t: t(batch, 't'), gs: t(batch, 'gamma_s') };
    this.coef = { F: t(3 * batch, 'c_F'), a: t(batch, 'a') };
    this.owned = [this.eps, this.xs, this.F, this.q, this.Ds, ...Object.values(this.times), ...Object.values(this.coef)];
  }

  setBatch(b: Stage2Batch): void {
    const w = (x: Tensor, d: Float32Array | Uint32Array) => this.backend.write(x, d);
    w(this.student.targets, b.tokens);
    w(this.times.s, b.s); w(this.times.t, b.t); w(this.times.gs, b.gs);
    w(this.coef.F, flowMapStep(b.gs, b.gt));
    w(this.coef.a, stage2Scale(b.gs, b.gt));
  }


  /** Record the loss and the student's gradients (into `student.grads`). */
  record(opts: Stage2RecordOptions = {}): void {
    const ops = this.backend.ops, { f, g, student: d, n, rows, batch: B } = this;
    const { length: L, vocab: V } = d.cfg;
    const T = this.times;
    if (opts.noise) ops.gaussian(this.eps, n, opts.noise.seed, opts.noise.counter);
    if (opts.noising !== false) ops.flmNoising(this.xs, this.eps, d.targets, T.gs, B, L, V);
    f.forwardOn(this.xs, T.s);
    ops.softmax(this.Ds, f.logits, rows, V);
    g.forwardOn(this.xs, T.s, T.t);
    ops.lincomb3({ out: this.F, x: this.xs, y: this.Ds, z: g.logits, c: this.coef.F }, n, L * V);
    d.forwardOn(this.xs, T.s, T.t);
    ops.distillStage2Loss({ raw: d.ce, q: this.q, logits: d.logits, F: this.F, xs: this.xs, a: this.coef.a }, rows, V, L);
    ops.weightedLoss({ perToken: d.perToken, loss: d.loss, dce: d.dce, dw: null, ce: d.ce, w: null }, B, L);
    if (opts.gradient === false) return;
    ops.distillStage2Backward({ dlogits: d.dlogits, q: this.q, F: this.F, xs: this.xs, a: this.coef.a, dce: d.dce }, rows, V, L);
    if (d.dw) ops.fill(d.dw, 0, B); // δ's loss-weighting head (kept from f) is not part of this loss
    d.backward();
  }

  compile(opts: Stage2RecordOptions = {}): Program {
    return this.backend.compile(() => this.record(opts));
  }

  release(): void {
    for (const t of this.owned) this.backend.release(t);
    this.f.release();
    this.g.release();
    this.student.release();
  }
}
