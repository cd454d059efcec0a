/**
 * The FLM DiT backbone (spec section 3) with explicit forward and backward,
 * written once against the Backend contract so it runs on the CPU reference
 * and on WebGPU alike. Every activation backward needs is allocated up front
 * in `DiTActivations`; nothing is allocated per step.
 */
import { scalar, type AttentionParams, type Backend, type GateParams, type LnModulateParams, type Scalar, type Tensor } from '../engine/backend.ts';
import { LN_EPS, LOSS_WEIGHT_HIDDEN, TIME_FEATURES, validateConfig, type DiTConfig } from './config.ts';
import { paramLayout, type ParamLayout } from './layout.ts';

/**
 * Dropout on both residual branches (the reference uses p = 0.1 in
 * training). The masks come from (seed, counter·256 + 2·block + branch), so
 * backward regenerates them; pass the same spec to forward and backward.
 */
export interface DropoutSpec { p: number; seed: Scalar; counter: Scalar }

interface BlockActs {
  mod: Tensor; // [B, 6D]
  ln1: Tensor; mean1: Tensor; rstd1: Tensor;
  qkv: Tensor; q: Tensor; k: Tensor; v: Tensor; att: Tensor; o: Tensor; attnY: Tensor;
  hMid: Tensor;
  ln2: Tensor; mean2: Tensor; rstd2: Tensor;
  fc: Tensor; fcAct: Tensor; mlpY: Tensor;
  /** The branches after dropout (only allocated when the model trains with dropout). */
  attnYd: Tensor | null; mlpYd: Tensor | null;
}

interface TimeActs { feat: Tensor; pre: Tensor; act: Tensor }

export interface BackwardOptions {
  /** Also compute d/dx of the input (into `dx`). */
  inputGrad?: boolean;
  /** The dropout the forward pass used. */
  dropout?: DropoutSpec;
}

export interface ForwardOptions {
  dropout?: DropoutSpec;
}

/** Views of the flat parameter (or gradient) buffer, by official name. */
export type ParamViews = Map<string, Tensor>;

export class DiT {
  readonly layout: ParamLayout;
  /** Built without gradients and backward scratch (samplers, frozen teachers): `backward` throws. */
  readonly inference: boolean;
  readonly B: number;
  readonly rows: number;
  /** Flat parameters and gradients, laid out by `layout`. */
  readonly params: Tensor;
  readonly grads: Tensor;
  readonly p: ParamViews;
  readonly g: ParamViews;

  // Inputs, written by the caller.
  /** x [B, L, V]: a noisy one-hot, or probabilities. */
  readonly x: Tensor;
  /** t [B] (and t' [B] for two-time models). */
  readonly t: Tensor;
  readonly tPrime: Tensor | null;
  /** Clean tokens [B·L] (u32) for the cross-entropy loss. */
  readonly targets: Tensor;

  // Outputs.
  readonly logits: Tensor; // [B·L, V]
  /** Loss weight w [B] (learnable loss weighting head), when enabled. */
  readonly w: Tensor | null;
  readonly ce: Tensor; readonly perToken: Tensor; readonly loss: Tensor;

  // Gradient seeds and results.
  /** d loss / d logits: written by `crossEntropyLoss()` or by a custom loss. */
  readonly dlogits: Tensor;
  /** d loss / d w [B]. */
  readonly dw: Tensor | null;
  readonly dce: Tensor;
  /** d loss / d x [B, L, V] when backward is asked for it. */
  readonly dx: Tensor;

  private readonly time: TimeActs;
  private readonly timePrime: TimeActs | null;
  private readonly lw: { time: TimeActs; emb: Tensor; hid: Tensor; hidAct: Tensor } | null;
  private readonly emb: Tensor; private readonly c: Tensor;
  private readonly hs: Tensor[];
  private readonly blocks: BlockActs[];
  private readonly modOut: Tensor; private readonly lnf: Tensor; private readonly meanf: Tensor; private readonly rstdf: Tensor;
  // backward scratch
  private readonly s: Record<string, Tensor>;
  /** Every tensor this model allocated (not shared parameters), for release(). */
  private readonly owned: Tensor[] = [];

  constructor(
    readonly backend: Backend, readonly cfg: DiTConfig, batch: number,
    shared?: { params?: Tensor; grads?: Tensor; dropout?: boolean; inference?: boolean },
  ) {
    validateConfig(cfg);
    this.layout = paramLayout(cfg);
    this.B = batch;
    const { vocab: V, length: L, hidden: D, cond: C, heads: H } = cfg;
    const R = batch * L, F = cfg.mlpRatio * D, d = D / H;
    this.rows = R;
    const T = (n: number, label: string) => { const t = backend.tensor(n, label); this.owned.push(t); return t; };
    this.inference = shared?.inference ?? false;
    // Inference only (samplers, frozen teachers): no gradients, no backward scratch.
    const none = this.inference ? T(1, 'no gradients (inference only)') : null;
    const G = (n: number, label: string) => none ?? T(n, label);
    this.params = shared?.params ?? T(this.layout.total, 'params');
    this.grads = shared?.grads ?? G(this.layout.total, 'grads');
    this.p = new Map();
    this.g = new Map();
    for (const s of this.layout.specs) {
      this.p.set(s.name, backend.view(this.params, s.offset, s.size, s.name));
      if (!none) this.g.set(s.name, backend.view(this.grads, s.offset, s.size, `grad.${s.name}`));
    }
    this.x = T(R * V, 'x');
    this.t = T(batch, 't');
    this.tPrime = cfg.twoTime ? T(batch, "t'") : null;
    this.targets = backend.tensor(R, 'targets', 'u32');
    this.owned.push(this.targets);
    const timeActs = (label: string): TimeActs => ({ feat: T(batch * TIME_FEATURES, `${label}.feat`), pre: T(batch * C, `${label}.pre`), act: T(batch * C, `${label}.act`) });
    this.time = timeActs('sigma_map');
    this.timePrime = cfg.twoTime ? timeActs('sigma_map_prime') : null;
    this.emb = T(batch * C, 'emb');
    this.c = T(batch * C, 'c');
    this.hs = [];
    for (let i = 0; i <= cfg.blocks; i++) this.hs.push(T(R * D, `h${i}`));
    this.blocks = [];
    for (let i = 0; i < cfg.blocks; i++) {
      const n = `blocks.${i}`;
      this.blocks.push({
        mod: T(batch * 6 * D, `${n}.mod`),
        ln1: T(R * D, `${n}.ln1`), mean1: T(R, `${n}.mean1`), rstd1: T(R, `${n}.rstd1`),
        qkv: T(R * 3 * D, `${n}.qkv`), q: T(R * D, `${n}.q`), k: T(R * D, `${n}.k`), v: T(R * D, `${n}.v`),
        att: T(batch * H * L * L, `${n}.att`), o: T(R * D, `${n}.o`), attnY: T(R * D, `${n}.attnY`),
        hMid: T(R * D, `${n}.hMid`),
        ln2: T(R * D, `${n}.ln2`), mean2: T(R, `${n}.mean2`), rstd2: T(R, `${n}.rstd2`),
        fc: T(R * F, `${n}.fc`), fcAct: T(R * F, `${n}.fcAct`), mlpY: T(R * D, `${n}.mlpY`),
        attnYd: shared?.dropout ? T(R * D, `${n}.attnYd`) : null,
        mlpYd: shared?.dropout ? T(R * D, `${n}.mlpYd`) : null,
      });
    }
    void d;
    this.modOut = T(batch * 2 * D, 'output.mod');
    this.lnf = T(R * D, 'output.ln'); this.meanf = T(R, 'output.mean'); this.rstdf = T(R, 'output.rstd');
    this.logits = T(R * V, 'logits');
    this.lw = cfg.lossWeighting
      ? { time: timeActs('lw.s_embed'), emb: T(batch * C, 'lw.emb'), hid: T(batch * LOSS_WEIGHT_HIDDEN, 'lw.hid'), hidAct: T(batch * LOSS_WEIGHT_HIDDEN, 'lw.hidAct') }
      : null;
    this.w = cfg.lossWeighting ? T(batch, 'w') : null;
    this.ce = T(R, 'ce'); this.perToken = T(R, 'perToken'); this.loss = T(1, 'loss');
    this.dlogits = G(R * V, 'dlogits');
    this.dw = cfg.lossWeighting ? G(batch, 'dw') : null;
    this.dce = T(R, 'dce');
    this.dx = G(R * V, 'dx');
    this.s = none ? {} : {
      dh: T(R * D, 'dh'), dyd: T(R * D, 'dyd'), dmodOut: T(batch * 2 * D, 'dmodOut'), dln: T(R * D, 'dln'), dy: T(R * D, 'dy'), dmod: T(batch * 6 * D, 'dmod'),
      dfcAct: T(R * F, 'dfcAct'), dfc: T(R * F, 'dfc'), dO: T(R * D, 'dO'),
      dq: T(R * D, 'dq'), dk: T(R * D, 'dk'), dv: T(R * D, 'dv'), datt: T(batch * H * L * L, 'datt'),
      dqkv: T(R * 3 * D, 'dqkv'), dc: T(batch * C, 'dc'), demb: T(batch * C, 'demb'), dtime: T(batch * C, 'dtime'), dtimePre: T(batch * C, 'dtimePre'),
      dlwEmb: T(batch * C, 'dlwEmb'), dlwHidAct: T(batch * LOSS_WEIGHT_HIDDEN, 'dlwHidAct'), dlwHid: T(batch * LOSS_WEIGHT_HIDDEN, 'dlwHid'),
    };
  }

  /** Give every tensor this model allocated back to the backend's pool. */
  release(): void {
    for (const t of this.owned.splice(0)) this.backend.release(t);
  }

  private attn(): AttentionParams {
    const { length, heads, hidden, softcap, causal } = this.cfg;
    return { batch: this.B, length, heads, headDim: hidden / heads, softcap, causal: causal ?? false };
  }
  private lnp(modStride: number, shiftOffset: number, scaleOffset: number): LnModulateParams {
    const D = this.cfg.hidden;
    return { rows: this.rows, dim: D, rowsPerItem: this.cfg.length, modStride, shiftOffset, scaleOffset, eps: LN_EPS };
  }
  private gp(gateOffset: number): GateParams {
    const D = this.cfg.hidden;
    return { rows: this.rows, dim: D, rowsPerItem: this.cfg.length, modStride: 6 * D, gateOffset };
  }

  /** y[rows, out] = x[rows, in]·Wᵀ (+ b). */
  private linear(y: Tensor, x: Tensor, name: string, rows: number, accumulate = false): void {
    const spec = this.layout.byName.get(`${name}.weight`)!;
    const [out, inp] = spec.shape;
    this.backend.ops.matmul(y, x, this.p.get(`${name}.weight`)!, { M: rows, N: out, K: inp, transB: true, accumulate }, this.p.get(`${name}.bias`));
  }
  /** Gradients of `linear`: dW = dyᵀ·x, db = Σ dy, and dx (+)= dy·W when asked. */
  private linearBackward(dx: Tensor | null, dy: Tensor, x: Tensor, name: string, rows: number, accumulateDx = false): void {
    const ops = this.backend.ops;
    const [out, inp] = this.layout.byName.get(`${name}.weight`)!.shape;
    ops.matmul(this.g.get(`${name}.weight`)!, dy, x, { M: out, N: inp, K: rows, transA: true });
    const db = this.g.get(`${name}.bias`);
    if (db) ops.sumRows(db, dy, rows, out);
    if (dx) ops.matmul(dx, dy, this.p.get(`${name}.weight`)!, { M: rows, N: inp, K: out, accumulate: accumulateDx });
  }

  private timeEmbedder(a: TimeActs, t: Tensor, prefix: string, out: Tensor, accumulate: boolean): void {
    const ops = this.backend.ops, B = this.B, C = this.cfg.cond;
    ops.timeEmbedding(a.feat, t, B, TIME_FEATURES);
    this.linear(a.pre, a.feat, `${prefix}.mlp.0`, B);
    ops.silu(a.act, a.pre, B * C);
    this.linear(out, a.act, `${prefix}.mlp.2`, B, accumulate);
  }
  private timeEmbedderBackward(a: TimeActs, dout: Tensor, prefix: string): void {
    const s = this.s, B = this.B, C = this.cfg.cond;
    this.linearBackward(s.dtime, dout, a.act, `${prefix}.mlp.2`, B);
    this.backend.ops.siluBackward(s.dtimePre, a.pre, s.dtime, B * C);
    this.linearBackward(null, s.dtimePre, a.feat, `${prefix}.mlp.0`, B);
  }

  private dropoutCounter(d: DropoutSpec, block: number, branch: number): Scalar {
    return () => scalar(d.counter) * 256 + block * 2 + branch;
  }

  /** The residual branch y after dropout (y itself without it). */
  private dropped(y: Tensor, yd: Tensor | null, d: DropoutSpec | undefined, block: number, branch: number): Tensor {
    if (!d || d.p <= 0) return y;
    if (!yd) throw new Error('this DiT was built without dropout buffers (pass { dropout: true })');
    this.backend.ops.dropout(yd, y, this.rows * this.cfg.hidden, d.p, d.seed, this.dropoutCounter(d, block, branch));
    return yd;
  }

  /**
   * Record a forward pass on inputs held in other device tensors: they are
   * copied into x, t (and t') first, inside the same program. For networks
   * evaluated several times per step at different points (distillation).
   */
  forwardOn(x: Tensor, t: Tensor, tPrime?: Tensor): void {
    const ops = this.backend.ops;
    ops.axpby(this.x, 1, x, 0, x, this.x.size);
    ops.axpby(this.t, 1, t, 0, t, this.B);
    if (this.tPrime && tPrime) ops.axpby(this.tPrime, 1, tPrime, 0, tPrime, this.B);
    this.forward();
  }

  /** logits = DiT(x, t[, t']) and, with loss weighting, w(t). */
  forward(opts: ForwardOptions = {}): void {
    const ops = this.backend.ops, cfg = this.cfg, B = this.B, R = this.rows;
    const { vocab: V, hidden: D, cond: C } = cfg;
    const F = cfg.mlpRatio * D;
    this.timeEmbedder(this.time, this.t, 'sigma_map', this.emb, false);
    if (this.timePrime && this.tPrime) this.timeEmbedder(this.timePrime, this.tPrime, 'sigma_map_prime', this.emb, true);
    ops.silu(this.c, this.emb, B * C);
    ops.matmul(this.hs[0], this.x, this.p.get('vocab_embed.embedding')!, { M: R, N: D, K: V });
    const ap = this.attn();
    for (let i = 0; i < cfg.blocks; i++) {
      const a = this.blocks[i], n = `blocks.${i}`, h = this.hs[i];
      this.linear(a.mod, this.c, `${n}.adaLN_modulation`, B);
      ops.lnModulate(a.ln1, a.mean1, a.rstd1, h, this.p.get(`${n}.norm1.weight`)!, a.mod, this.lnp(6 * D, 0, D));
      this.linear(a.qkv, a.ln1, `${n}.attn_qkv`, R);
      ops.rope(a.q, a.k, a.v, a.qkv, ap);
      ops.attention(a.o, a.att, a.q, a.k, a.v, ap);
      this.linear(a.attnY, a.o, `${n}.attn_out`, R);
      ops.axpby(a.hMid, 1, h, 0, h, R * D);
      ops.gateResidual(a.hMid, this.dropped(a.attnY, a.attnYd, opts.dropout, i, 0), a.mod, this.gp(2 * D));
      ops.lnModulate(a.ln2, a.mean2, a.rstd2, a.hMid, this.p.get(`${n}.norm2.weight`)!, a.mod, this.lnp(6 * D, 3 * D, 4 * D));
      this.linear(a.fc, a.ln2, `${n}.mlp.0`, R);
      ops.gelu(a.fcAct, a.fc, R * F, 'tanh');
      this.linear(a.mlpY, a.fcAct, `${n}.mlp.2`, R);
      ops.axpby(this.hs[i + 1], 1, a.hMid, 0, a.hMid, R * D);
      ops.gateResidual(this.hs[i + 1], this.dropped(a.mlpY, a.mlpYd, opts.dropout, i, 1), a.mod, this.gp(5 * D));
    }
    this.linear(this.modOut, this.c, 'output_layer.adaLN_modulation', B);
    ops.lnModulate(this.lnf, this.meanf, this.rstdf, this.hs[cfg.blocks], this.p.get('output_layer.norm_final.weight')!, this.modOut, this.lnp(2 * D, 0, D));
    this.linear(this.logits, this.lnf, 'output_layer.linear', R);
    if (this.lw && this.w) {
      const lw = this.lw;
      this.timeEmbedder(lw.time, this.t, 'learnable_loss_weighting.s_embed', lw.emb, false);
      this.linear(lw.hid, lw.emb, 'learnable_loss_weighting.mlp.0', B);
      ops.gelu(lw.hidAct, lw.hid, B * LOSS_WEIGHT_HIDDEN, 'erf');
      this.linear(this.w, lw.hidAct, 'learnable_loss_weighting.mlp.2', B);
    }
  }

  /**
   * The FLM objective's loss on the forward's logits (spec section 4):
   * ce per token, optional weighting exp(−w)·ce + w, the mean; and the seeds
   * of the backward pass (dlogits, dw).
   */
  crossEntropyLoss(): void {
    const ops = this.backend.ops, R = this.rows, V = this.cfg.vocab;
    ops.crossEntropy(this.ce, this.logits, this.targets, R, V);
    ops.weightedLoss(this.perToken, this.loss, this.dce, this.inference ? null : this.dw, this.ce, this.w, this.B, this.cfg.length);
    if (!this.inference) ops.crossEntropyBackward(this.dlogits, this.logits, this.targets, this.dce, R, V);
  }

  /** Gradients of every parameter from `dlogits` (and `dw`), optionally of x. */
  backward(opts: BackwardOptions = {}): void {
    if (this.inference) throw new Error('this DiT was built for inference only (no gradients)');
    const ops = this.backend.ops, cfg = this.cfg, B = this.B, R = this.rows, s = this.s;
    const { vocab: V, hidden: D, cond: C } = cfg;
    const F = cfg.mlpRatio * D;
    const ap = this.attn();
    // output layer
    this.linearBackward(s.dln, this.dlogits, this.lnf, 'output_layer.linear', R);
    ops.fill(s.dh, 0, R * D);
    ops.lnModulateBackward(s.dh, this.g.get('output_layer.norm_final.weight')!, s.dmodOut, s.dln, this.hs[cfg.blocks],
      this.meanf, this.rstdf, this.p.get('output_layer.norm_final.weight')!, this.modOut, this.lnp(2 * D, 0, D));
    this.linearBackward(s.dc, s.dmodOut, this.c, 'output_layer.adaLN_modulation', B);
    const d = opts.dropout && opts.dropout.p > 0 ? opts.dropout : undefined;
    /** d loss/d branch output, through the dropout mask when there is one. */
    const undrop = (g: Tensor, block: number, branch: number): Tensor => {
      if (!d) return g;
      ops.dropout(s.dyd, g, R * D, d.p, d.seed, this.dropoutCounter(d, block, branch));
      return s.dyd;
    };
    for (let i = cfg.blocks - 1; i >= 0; i--) {
      const a = this.blocks[i], n = `blocks.${i}`;
      // MLP branch: h_out = hMid + gate_mlp·dropout(mlpY)
      ops.gateResidualBackward(s.dy, s.dmod, s.dh, d ? a.mlpYd! : a.mlpY, a.mod, this.gp(5 * D));
      this.linearBackward(s.dfcAct, undrop(s.dy, i, 1), a.fcAct, `${n}.mlp.2`, R);
      ops.geluBackward(s.dfc, a.fc, s.dfcAct, R * F, 'tanh');
      this.linearBackward(s.dln, s.dfc, a.ln2, `${n}.mlp.0`, R);
      ops.lnModulateBackward(s.dh, this.g.get(`${n}.norm2.weight`)!, s.dmod, s.dln, a.hMid, a.mean2, a.rstd2,
        this.p.get(`${n}.norm2.weight`)!, a.mod, this.lnp(6 * D, 3 * D, 4 * D));
      // attention branch: hMid = h_in + gate_msa·dropout(attnY)
      ops.gateResidualBackward(s.dy, s.dmod, s.dh, d ? a.attnYd! : a.attnY, a.mod, this.gp(2 * D));
      this.linearBackward(s.dO, undrop(s.dy, i, 0), a.o, `${n}.attn_out`, R);
      ops.attentionBackward(s.dq, s.dk, s.dv, s.datt, s.dO, a.att, a.q, a.k, a.v, a.o, ap);
      ops.ropeBackward(s.dqkv, s.dq, s.dk, s.dv, ap);
      this.linearBackward(s.dln, s.dqkv, a.ln1, `${n}.attn_qkv`, R);
      ops.lnModulateBackward(s.dh, this.g.get(`${n}.norm1.weight`)!, s.dmod, s.dln, this.hs[i], a.mean1, a.rstd1,
        this.p.get(`${n}.norm1.weight`)!, a.mod, this.lnp(6 * D, 0, D));
      this.linearBackward(s.dc, s.dmod, this.c, `${n}.adaLN_modulation`, B, true);
    }
    // embedding: h0 = x·E
    ops.matmul(this.g.get('vocab_embed.embedding')!, this.x, s.dh, { M: V, N: D, K: R, transA: true });
    if (opts.inputGrad) ops.matmul(this.dx, s.dh, this.p.get('vocab_embed.embedding')!, { M: R, N: V, K: D, transB: true });
    // conditioning: c = silu(emb), emb = sigma_map(t) [+ sigma_map_prime(t')]
    ops.siluBackward(s.demb, this.emb, s.dc, B * C);
    this.timeEmbedderBackward(this.time, s.demb, 'sigma_map');
    if (this.timePrime) this.timeEmbedderBackward(this.timePrime, s.demb, 'sigma_map_prime');
    if (this.lw && this.dw) {
      const lw = this.lw;
      this.linearBackward(s.dlwHidAct, this.dw, lw.hidAct, 'learnable_loss_weighting.mlp.2', B);
      ops.geluBackward(s.dlwHid, lw.hid, s.dlwHidAct, B * LOSS_WEIGHT_HIDDEN, 'erf');
      this.linearBackward(s.dlwEmb, s.dlwHid, lw.emb, 'learnable_loss_weighting.mlp.0', B);
      this.timeEmbedderBackward(lw.time, s.dlwEmb, 'learnable_loss_weighting.s_embed');
    }
  }
}
