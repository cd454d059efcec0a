/**
 * Flow-map distillation, stage 1 (spec section 6): a frozen FLM teacher f
 * and a two-time student g (raw output, learnable loss weighting). Per batch,
 * with u = s + d/2, t = s + d and x_s = (1 − γ_s)ε + γ_s·e_x:
 *
 *   D_s = softmax f(x_s, s);   g_su = g(x_s, s, u)                 (no gradient)
 *   x_u = x_s + Δ1·v_s + ½Δ1²·g_su
 *   D_u = softmax f(x_u, u);   g_ut = g(x_u, u, t)                 (no gradient)
 *   x_boot = x_s + (1 − γ_s)/Δ·(Δ1·v_su + Δ2·v_ut)
 *   f_final = D_s + ½Δ(1 − γ_s)·g(x_s, s, t)                       (gradient)
 *   loss = mean over tokens of exp(−w(s))·Σ_v (x_boot − f_final)² + w(s)
 *
 * Everything is one recorded program: the noising, four no-gradient network
 * evaluations, the student's forward and backward. One DiT instance per
 * network; each evaluation feeds it through its input tensors.
 */
import type { Backend, Program, Scalar, Tensor } from '../engine/backend.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { stage1Coefficients } from '../flm/distillCoefficients.ts';

export interface Stage1Batch {
  /** Clean tokens [B·L]. */
  tokens: Uint32Array;
  /** Network times s, u = s + d/2, t = s + d [B]. */
  s: Float32Array;
  u: Float32Array;
  t: Float32Array;
  /** Interpolations γ(s), γ(u), γ(t) [B]. */
  gs: Float32Array;
  gu: Float32Array;
  gt: Float32Array;
}

export class Stage1Loss {
  readonly f: DiT;
  readonly g: DiT;
  readonly rows: number;
  readonly n: number;
  /** ε [B·L·V]: written by the caller, or drawn by `noise` in the program. */
  readonly eps: Tensor;
  readonly xs: Tensor;
  readonly xboot: Tensor;
  private readonly Ds: Tensor;
  private readonly xu: Tensor;
  private readonly Du: Tensor;
  private readonly gsu: Tensor;
  private readonly gut: Tensor;
  private readonly h1: Tensor;
  private readonly h2: Tensor;
  private readonly tgt: Tensor;
  private readonly times: { s: Tensor; u: Tensor; t: Tensor; gs: Tensor };
  private readonly coef: { xu: Tensor; half1: Tensor; half2: Tensor; boot: Tensor; target: Tensor; pred: Tensor };
  private readonly owned: Tensor[];

  constructor(
    readonly backend: Backend,
    fConfig: DiTConfig,
    gConfig: DiTConfig,
    readonly batch: number,
    /** The teacher's weights (shared, never written) and, optionally, the student's. */
    teacher: Tensor,
    student?: Tensor,
  ) {
    if (fConfig.twoTime || !gConfig.twoTime) throw new Error('stage 1 needs a one-time FLM teacher and a two-time student');
    if (fConfig.vocab !== gConfig.vocab || fConfig.length !== gConfig.length) throw new Error('teacher and student disagree on vocabulary or length');
    this.f = new DiT(backend, fConfig, batch, { params: teacher, inference: true });
    this.g = new DiT(backend, gConfig, batch, student ? { params: student } : {});
    const L = gConfig.length, V = gConfig.vocab;
    this.rows = batch * L;
    this.n = this.rows * V;
    const t = (size: number, label: string) => backend.tensor(size, `stage1.${label}`);
    this.eps = t(this.n, 'eps');
    this.xs = t(this.n, 'x_s');
    this.xboot = t(this.n, 'x_boot');
    this.Ds = t(this.n, 'D_s');
    this.xu = t(this.n, 'x_u');
    this.Du = t(this.n, 'D_u');
    this.gsu = t(this.n, 'g_su');
    this.gut = t(this.n, 'g_ut');
    this.h1 = t(this.n, 'half1');
    this.h2 = t(this.n, 'half2');
    this.tgt = t(this.n, 'target');
    this.times = { s: t(batch, 's'), u: t(batch, 'u'), t: t(batch, 't'), gs: t(batch, 'gamma_s') };
    const c3 = (label: string) => t(3 * batch, label);
    this.coef = { xu: c3('c_xu'), half1: c3('c_half1'), half2: c3('c_half2'), boot: c3('c_boot'), target: c3('c_target'), pred: t(batch, 'c_pred') };
    this.owned = [this.eps, this.xs, this.xboot, this.Ds, this.xu, this.Du, this.gsu, this.gut, this.h1, this.h2, this.tgt,
      ...Object.values(this.times), ...Object.values(this.coef)];
  }

  /** Write one batch's tokens, times and coefficients (before running the program). */
  setBatch(b: Stage1Batch): void {
    const w = (x: Tensor, d: Float32Array | Uint32Array) => this.backend.write(x, d);
    w(this.g.targets, b.tokens);
    w(this.times.s, b.s); w(this.times.u, b.u); w(this.times.t, b.t); w(this.times.gs, b.gs);
    const c = stage1Coefficients(b.gs, b.gu, b.gt);
    w(this.coef.xu, c.xu); w(this.coef.half1, c.half1); w(this.coef.half2, c.half2);
    w(this.coef.boot, c.boot); w(this.coef.target, c.target); w(this.coef.pred, c.pred);
  }

  private copy(dst: Tensor, src: Tensor, n: number): void {
    this.backend.ops.axpby(dst, 1, src, 0, src, n);
  }


  /**
   * Record the loss and the student's gradients (into `g.grads`) into the
   * current program. With `noise`, ε is drawn first (seed, counter).
   */
  record(noise?: { seed: Scalar; counter: Scalar }, gradient = true): void {
    const ops = this.backend.ops, { f, g, n, rows, batch: B } = this;
    const { length: L, vocab: V } = g.cfg;
    const T = this.times, C = this.coef;
    if (noise) ops.gaussian(this.eps, n, noise.seed, noise.counter);
    ops.flmNoising(this.xs, this.eps, g.targets, T.gs, B, L, V);
    f.forwardOn(this.xs, T.s);
    ops.softmax(this.Ds, f.logits, rows, V);
    g.forwardOn(this.xs, T.s, T.u);
    this.copy(this.gsu, g.logits, n);
    ops.lincomb3({ out: this.xu, x: this.xs, y: this.Ds, z: this.gsu, c: C.xu }, n, L * V);
    f.forwardOn(this.xu, T.u);
    ops.softmax(this.Du, f.logits, rows, V);
    g.forwardOn(this.xu, T.u, T.t);
    this.copy(this.gut, g.logits, n);
    ops.lincomb3({ out: this.h1, x: this.xs, y: this.Ds, z: this.gsu, c: C.half1 }, n, L * V);
    ops.lincomb3({ out: this.h2, x: this.xu, y: this.Du, z: this.gut, c: C.half2 }, n, L * V);
    ops.lincomb3({ out: this.xboot, x: this.xs, y: this.h1, z: this.h2, c: C.boot }, n, L * V);
    ops.lincomb3({ out: this.tgt, x: this.xboot, y: this.Ds, z: this.Ds, c: C.target }, n, L * V);
    // The prediction, with gradient: g(x_s, s, t); its raw output goes into the loss.
    g.forwardOn(this.xs, T.s, T.t);
    ops.distillStage1Loss(g.ce, g.logits, this.tgt, C.pred, rows, V, L);
    ops.weightedLoss({ perToken: g.perToken, loss: g.loss, dce: g.dce, dw: g.dw, ce: g.ce, w: g.w }, B, L);
    if (!gradient) return;
    ops.distillStage1Backward({ dg: g.dlogits, g: g.logits, tgt: this.tgt, c: C.pred, dce: g.dce }, rows, V, L);
    g.backward();
  }

  compile(noise?: { seed: Scalar; counter: Scalar }, gradient = true): Program {
    return this.backend.compile(() => this.record(noise, gradient));
  }

  release(): void {
    for (const t of this.owned) this.backend.release(t);
    this.f.release();
    this.g.release();
  }
}
