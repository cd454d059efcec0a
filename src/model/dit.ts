/**
 * The FLM DiT backbone (spec section 3) with explicit forward and backward,
 * written once against the Backend contract so it runs on the CPU reference
 * and on WebGPU alike. In the llm.c style: the parameters are a typed
 * structure (`DiTParams`, params.ts) over one flat buffer, every activation
 * backward needs is allocated up front in `DiTActivations` and the backward
 * scratch in `BackwardScratch` (nothing is allocated per step), and each
 * layer is a forward/backward pair of plain functions. The `DiT` class only
 * allocates and calls them in order.
 *
 * Shapes: B batch, L length, R = B·L rows, V vocab, D hidden, H heads,
 * C cond, F = mlpRatio·D, TF = TIME_FEATURES, LH = LOSS_WEIGHT_HIDDEN.
 */
import {
  scalar, type AttentionParams, type Backend, type GateParams, type LnModulateParams, type Ops, type Scalar, type Tensor,
} from '../engine/backend.ts';
import { blockAdaLn, finalAdaLn, type AdaLnLayout } from './adaln.ts';
import { LN_EPS, LOSS_WEIGHT_HIDDEN, TIME_FEATURES, validateConfig, type DiTConfig } from './config.ts';
import { paramLayout, type ParamLayout } from './layout.ts';
import {
  tensorViews, type BlockParams, type DiTParams, type FinalLayerParams, type Linear, type LossWeightingParams, type TimeEmbedderParams,
} from './params.ts';

/**
 * Dropout on both residual branches (the reference uses p = 0.1 in
 * training). The masks come from (seed, counter·256 + 2·block + branch), so
 * backward regenerates them; pass the same spec to forward and backward.
 */
export interface DropoutSpec { p: number; seed: Scalar; counter: Scalar }

export interface BackwardOptions {
  /** Also compute d/dx of the input (into `dx`). */
  inputGrad?: boolean;
  /** The dropout the forward pass used. */
  dropout?: DropoutSpec;
}

export interface ForwardOptions {
  dropout?: DropoutSpec;
}

// ---------------------------------------------------------------------------
// Activations and scratch

/** A TimestepEmbedder's saved activations. */
interface TimeActs {
  feat: Tensor; // [B, TF] sinusoidal features
  pre: Tensor; // [B, C] before SiLU
  act: Tensor; // [B, C] after SiLU
}

/** Conditioning: c = silu(σ(t) [+ σ'(t')]). */
interface CondActs {
  time: TimeActs;
  timePrime: TimeActs | null;
  emb: Tensor; // [B, C] σ(t) [+ σ'(t')]
  c: Tensor; // [B, C]
}

interface BlockActs {
  mod: Tensor; // [B, 6D] the adaLN chunks (blockAdaLn)
  ln1: Tensor; mean1: Tensor; rstd1: Tensor; // [R, D], [R], [R]
  qkv: Tensor; // [R, 3D]
  q: Tensor; k: Tensor; v: Tensor; // [B, H, L, D/H] after rotary
  att: Tensor; // [B, H, L, L] attention probabilities
  o: Tensor; // [R, D] attention output before attn_out
  attnY: Tensor; // [R, D] attention branch
  hMid: Tensor; // [R, D] residual stream between the branches
  ln2: Tensor; mean2: Tensor; rstd2: Tensor; // [R, D], [R], [R]
  fc: Tensor; fcAct: Tensor; // [R, F] before and after GELU
  mlpY: Tensor; // [R, D] MLP branch
  /** The branches after dropout [R, D] (only allocated when the model trains with dropout). */
  attnYd: Tensor | null; mlpYd: Tensor | null;
}

interface FinalActs {
  mod: Tensor; // [B, 2D] the adaLN chunks (finalAdaLn)
  ln: Tensor; mean: Tensor; rstd: Tensor; // [R, D], [R], [R]
}

interface LossWeightActs {
  time: TimeActs;
  emb: Tensor; // [B, C]
  hid: Tensor; hidAct: Tensor; // [B, LH] before and after GELU
}

/** Every activation backward needs. */
interface DiTActivations {
  cond: CondActs;
  /** The residual stream [R, D] entering block i (hs[blocks]: leaving the last). */
  hs: Tensor[];
  blocks: BlockActs[];
  final: FinalActs;
  lw: LossWeightActs | null;
}

/** Gradient scratch, reused by every layer of the backward pass. */
interface BackwardScratch {
  dh: Tensor; // [R, D] d loss/d residual stream
  dyd: Tensor; // [R, D] a branch's gradient through its dropout mask
  dy: Tensor; // [R, D] d loss/d branch output
  dln: Tensor; // [R, D] d loss/d a LayerNorm-modulate output
  dmod: Tensor; // [B, 6D] d loss/d a block's modulation
  dmodFinal: Tensor; // [B, 2D] d loss/d the final layer's modulation
  dfcAct: Tensor; dfc: Tensor; // [R, F]
  dO: Tensor; // [R, D]
  dq: Tensor; dk: Tensor; dv: Tensor; // [B, H, L, D/H]
  datt: Tensor; // [B, H, L, L]
  dqkv: Tensor; // [R, 3D]
  dc: Tensor; demb: Tensor; // [B, C]
  dtime: Tensor; dtimePre: Tensor; // [B, C] inside a time embedder
  dlwEmb: Tensor; // [B, C]
  dlwHidAct: Tensor; dlwHid: Tensor; // [B, LH]
}

/** Sizes and fixed kernel parameters, computed once per model. */
interface Dims {
  B: number; L: number; R: number; V: number; D: number; C: number; F: number;
  attn: AttentionParams;
  /** LayerNorm-modulate and gate parameters of each adaLN use, from the chunk declaration (adaln.ts). */
  ln1: LnModulateParams; gateMsa: GateParams;
  ln2: LnModulateParams; gateMlp: GateParams;
  lnFinal: LnModulateParams;
}

function modelDims(cfg: DiTConfig, batch: number): Dims {
  const { vocab: V, length: L, hidden: D, cond: C, heads, softcap, causal } = cfg;
  const R = batch * L;
  const rows = { rows: R, dim: D, rowsPerItem: L };
  const ln = <K extends string>(m: AdaLnLayout<K>, shift: K, scale: K): LnModulateParams =>
    ({ ...rows, modStride: m.stride, shiftOffset: m.offset[shift], scaleOffset: m.offset[scale], eps: LN_EPS });
  const gate = <K extends string>(m: AdaLnLayout<K>, g: K): GateParams => ({ ...rows, modStride: m.stride, gateOffset: m.offset[g] });
  const block = blockAdaLn(D), final = finalAdaLn(D);
  return {
    B: batch, L, R, V, D, C, F: cfg.mlpRatio * D,
    attn: { batch, length: L, heads, headDim: D / heads, softcap, causal: causal ?? false },
    ln1: ln(block, 'shiftMsa', 'scaleMsa'), gateMsa: gate(block, 'gateMsa'),
    ln2: ln(block, 'shiftMlp', 'scaleMlp'), gateMlp: gate(block, 'gateMlp'),
    lnFinal: ln(final, 'shift', 'scale'),
  };
}

// ---------------------------------------------------------------------------
// Layers: forward/backward pairs of plain functions

/** y[rows, out] (+)= x[rows, in]·Wᵀ (+ b). */
function linearForward(ops: Ops, y: Tensor, x: Tensor, W: Linear<Tensor>, rows: number, accumulate = false): void {
  ops.matmul(y, x, W.weight, { M: rows, N: W.outFeatures, K: W.inFeatures, transB: true, accumulate }, W.bias ?? undefined);
}

/** Gradients of `linearForward`: dW = dyᵀ·x, db = Σ dy, and dx (+)= dy·W when asked. */
function linearBackward(
  ops: Ops, dx: Tensor | null, dW: Linear<Tensor>, dy: Tensor, x: Tensor, W: Linear<Tensor>, rows: number, accumulateDx = false,
): void {
  const out = W.outFeatures, inp = W.inFeatures;
  ops.matmul(dW.weight, dy, x, { M: out, N: inp, K: rows, transA: true });
  if (dW.bias) ops.sumRows(dW.bias, dy, rows, out);
  if (dx) ops.matmul(dx, dy, W.weight, { M: rows, N: inp, K: out, accumulate: accumulateDx });
}

/** out (+)= mlp.2(silu(mlp.0(features(t)))). */
function timeEmbedderForward(ops: Ops, out: Tensor, a: TimeActs, t: Tensor, W: TimeEmbedderParams<Tensor>, n: Dims, accumulate: boolean): void {
  ops.timeEmbedding(a.feat, t, n.B, TIME_FEATURES);
  linearForward(ops, a.pre, a.feat, W.mlp0, n.B);
  ops.silu(a.act, a.pre, n.B * n.C);
  linearForward(ops, out, a.act, W.mlp2, n.B, accumulate);
}

function timeEmbedderBackward(
  ops: Ops, dW: TimeEmbedderParams<Tensor>, s: BackwardScratch, dout: Tensor, a: TimeActs, W: TimeEmbedderParams<Tensor>, n: Dims,
): void {
  linearBackward(ops, s.dtime, dW.mlp2, dout, a.act, W.mlp2, n.B);
  ops.siluBackward(s.dtimePre, a.pre, s.dtime, n.B * n.C);
  linearBackward(ops, null, dW.mlp0, s.dtimePre, a.feat, W.mlp0, n.B);
}

/** c = silu(σ(t) [+ σ'(t')]). */
function conditioningForward(ops: Ops, a: CondActs, t: Tensor, tPrime: Tensor | null, p: DiTParams<Tensor>, n: Dims): void {
  timeEmbedderForward(ops, a.emb, a.time, t, p.sigmaMap, n, false);
  if (a.timePrime && tPrime && p.sigmaMapPrime) timeEmbedderForward(ops, a.emb, a.timePrime, tPrime, p.sigmaMapPrime, n, true);
  ops.silu(a.c, a.emb, n.B * n.C);
}

/** From s.dc (d loss/d c) to the time embedders' gradients. */
function conditioningBackward(ops: Ops, g: DiTParams<Tensor>, s: BackwardScratch, a: CondActs, p: DiTParams<Tensor>, n: Dims): void {
  ops.siluBackward(s.demb, a.emb, s.dc, n.B * n.C);
  timeEmbedderBackward(ops, g.sigmaMap, s, s.demb, a.time, p.sigmaMap, n);
  if (a.timePrime && p.sigmaMapPrime && g.sigmaMapPrime) timeEmbedderBackward(ops, g.sigmaMapPrime, s, s.demb, a.timePrime, p.sigmaMapPrime, n);
}

/** h0[R, D] = x[R, V]·E[V, D]. */
function embedForward(ops: Ops, h0: Tensor, x: Tensor, E: Tensor, n: Dims): void {
  ops.matmul(h0, x, E, { M: n.R, N: n.D, K: n.V });
}

/** dE = xᵀ·dh0, and dx = dh0·Eᵀ when asked. */
function embedBackward(ops: Ops, dx: Tensor | null, dE: Tensor, dh0: Tensor, x: Tensor, E: Tensor, n: Dims): void {
  ops.matmul(dE, x, dh0, { M: n.V, N: n.D, K: n.R, transA: true });
  if (dx) ops.matmul(dx, dh0, E, { M: n.R, N: n.V, K: n.D, transB: true });
}

/** The two residual branches of a block (dropout streams 2·block + branch). */
const ATTN_BRANCH = 0, MLP_BRANCH = 1;
/** Dropout streams reserved per counter value. */
const DROPOUT_STREAMS = 256;

/** A dropout with p > 0 (the one forward and backward apply), or null. */
function activeDropout(d: DropoutSpec | undefined): DropoutSpec | null {
  return d && d.p > 0 ? d : null;
}

function dropoutCounter(d: DropoutSpec, block: number, branch: number): Scalar {
  return () => scalar(d.counter) * DROPOUT_STREAMS + block * 2 + branch;
}

/** The residual branch y after dropout (y itself without it). */
function dropBranch(ops: Ops, y: Tensor, yd: Tensor | null, d: DropoutSpec | null, block: number, branch: number, n: Dims): Tensor {
  if (!d) return y;
  if (!yd) throw new Error('this DiT was built without dropout buffers (pass { dropout: true })');
  ops.dropout(yd, y, n.R * n.D, d.p, d.seed, dropoutCounter(d, block, branch));
  return yd;
}

/** d loss/d branch output from d loss/d dropped branch (through the same mask). */
function undropBranch(ops: Ops, s: BackwardScratch, dy: Tensor, d: DropoutSpec | null, block: number, branch: number, n: Dims): Tensor {
  if (!d) return dy;
  ops.dropout(s.dyd, dy, n.R * n.D, d.p, d.seed, dropoutCounter(d, block, branch));
  return s.dyd;
}

/**
 * DDiTBlock i: hMid = h + gate_msa·attn(LN(h)·(1 + scale_msa) + shift_msa),
 * hOut = hMid + gate_mlp·mlp(LN(hMid)·(1 + scale_mlp) + shift_mlp).
 */
function blockForward(
  ops: Ops, hOut: Tensor, a: BlockActs, h: Tensor, c: Tensor, W: BlockParams<Tensor>, n: Dims, d: DropoutSpec | null, i: number,
): void {
  const { B, R, D, F } = n;
  linearForward(ops, a.mod, c, W.adaLN, B);
  // attention branch
  ops.lnModulate({ out: a.ln1, mean: a.mean1, rstd: a.rstd1, x: h, w: W.norm1, mod: a.mod }, n.ln1);
  linearForward(ops, a.qkv, a.ln1, W.attnQkv, R);
  ops.rope(a.q, a.k, a.v, a.qkv, n.attn);
  ops.attention({ o: a.o, att: a.att, q: a.q, k: a.k, v: a.v }, n.attn);
  linearForward(ops, a.attnY, a.o, W.attnOut, R);
  ops.axpby(a.hMid, 1, h, 0, h, R * D);
  const attnY = dropBranch(ops, a.attnY, a.attnYd, d, i, ATTN_BRANCH, n);
  ops.gateResidual(a.hMid, attnY, a.mod, n.gateMsa);
  // MLP branch
  ops.lnModulate({ out: a.ln2, mean: a.mean2, rstd: a.rstd2, x: a.hMid, w: W.norm2, mod: a.mod }, n.ln2);
  linearForward(ops, a.fc, a.ln2, W.mlp0, R);
  ops.gelu(a.fcAct, a.fc, R * F, 'tanh');
  linearForward(ops, a.mlpY, a.fcAct, W.mlp2, R);
  ops.axpby(hOut, 1, a.hMid, 0, a.hMid, R * D);
  const mlpY = dropBranch(ops, a.mlpY, a.mlpYd, d, i, MLP_BRANCH, n);
  ops.gateResidual(hOut, mlpY, a.mod, n.gateMlp);
}

/** From s.dh = d loss/d hOut to s.dh = d loss/d h, the block's gradients and s.dc += d loss/d c. */
function blockBackward(
  ops: Ops, dW: BlockParams<Tensor>, s: BackwardScratch, a: BlockActs, h: Tensor, c: Tensor, W: BlockParams<Tensor>, n: Dims,
  d: DropoutSpec | null, i: number,
): void {
  const { B, R, F } = n;
  // MLP branch: hOut = hMid + gate_mlp·dropout(mlpY)
  ops.gateResidualBackward({ dy: s.dy, dmod: s.dmod, dh: s.dh, y: d ? a.mlpYd! : a.mlpY, mod: a.mod }, n.gateMlp);
  linearBackward(ops, s.dfcAct, dW.mlp2, undropBranch(ops, s, s.dy, d, i, MLP_BRANCH, n), a.fcAct, W.mlp2, R);
  ops.geluBackward(s.dfc, a.fc, s.dfcAct, R * F, 'tanh');
  linearBackward(ops, s.dln, dW.mlp0, s.dfc, a.ln2, W.mlp0, R);
  ops.lnModulateBackward({ dx: s.dh, dw: dW.norm2, dmod: s.dmod, dout: s.dln, x: a.hMid, mean: a.mean2, rstd: a.rstd2, w: W.norm2, mod: a.mod }, n.ln2);
  // attention branch: hMid = h + gate_msa·dropout(attnY)
  ops.gateResidualBackward({ dy: s.dy, dmod: s.dmod, dh: s.dh, y: d ? a.attnYd! : a.attnY, mod: a.mod }, n.gateMsa);
  linearBackward(ops, s.dO, dW.attnOut, undropBranch(ops, s, s.dy, d, i, ATTN_BRANCH, n), a.o, W.attnOut, R);
  ops.attentionBackward({ dq: s.dq, dk: s.dk, dv: s.dv, scratch: s.datt, dout: s.dO, att: a.att, q: a.q, k: a.k, v: a.v, o: a.o }, n.attn);
  ops.ropeBackward(s.dqkv, s.dq, s.dk, s.dv, n.attn);
  linearBackward(ops, s.dln, dW.attnQkv, s.dqkv, a.ln1, W.attnQkv, R);
  ops.lnModulateBackward({ dx: s.dh, dw: dW.norm1, dmod: s.dmod, dout: s.dln, x: h, mean: a.mean1, rstd: a.rstd1, w: W.norm1, mod: a.mod }, n.ln1);
  linearBackward(ops, s.dc, dW.adaLN, s.dmod, c, W.adaLN, B, true);
}

/** DDitFinalLayer: logits = linear(LN(h)·(1 + scale) + shift). */
function finalLayerForward(ops: Ops, logits: Tensor, a: FinalActs, h: Tensor, c: Tensor, W: FinalLayerParams<Tensor>, n: Dims): void {
  linearForward(ops, a.mod, c, W.adaLN, n.B);
  ops.lnModulate({ out: a.ln, mean: a.mean, rstd: a.rstd, x: h, w: W.normFinal, mod: a.mod }, n.lnFinal);
  linearForward(ops, logits, a.ln, W.linear, n.R);
}

/** From dlogits: s.dh = d loss/d h (overwritten), s.dc = d loss/d c (overwritten), the layer's gradients. */
function finalLayerBackward(
  ops: Ops, dW: FinalLayerParams<Tensor>, s: BackwardScratch, dlogits: Tensor, a: FinalActs, h: Tensor, c: Tensor, W: FinalLayerParams<Tensor>, n: Dims,
): void {
  linearBackward(ops, s.dln, dW.linear, dlogits, a.ln, W.linear, n.R);
  ops.fill(s.dh, 0, n.R * n.D);
  ops.lnModulateBackward({ dx: s.dh, dw: dW.normFinal, dmod: s.dmodFinal, dout: s.dln, x: h, mean: a.mean, rstd: a.rstd, w: W.normFinal, mod: a.mod }, n.lnFinal);
  linearBackward(ops, s.dc, dW.adaLN, s.dmodFinal, c, W.adaLN, n.B);
}

/** The learnable loss weighting head: w[B] = mlp.2(gelu(mlp.0(s_embed(t)))). */
function lossWeightingForward(ops: Ops, w: Tensor, a: LossWeightActs, t: Tensor, W: LossWeightingParams<Tensor>, n: Dims): void {
  timeEmbedderForward(ops, a.emb, a.time, t, W.sEmbed, n, false);
  linearForward(ops, a.hid, a.emb, W.mlp0, n.B);
  ops.gelu(a.hidAct, a.hid, n.B * LOSS_WEIGHT_HIDDEN, 'erf');
  linearForward(ops, w, a.hidAct, W.mlp2, n.B);
}

function lossWeightingBackward(
  ops: Ops, dW: LossWeightingParams<Tensor>, s: BackwardScratch, dw: Tensor, a: LossWeightActs, W: LossWeightingParams<Tensor>, n: Dims,
): void {
  linearBackward(ops, s.dlwHidAct, dW.mlp2, dw, a.hidAct, W.mlp2, n.B);
  ops.geluBackward(s.dlwHid, a.hid, s.dlwHidAct, n.B * LOSS_WEIGHT_HIDDEN, 'erf');
  linearBackward(ops, s.dlwEmb, dW.mlp0, s.dlwHid, a.emb, W.mlp0, n.B);
  timeEmbedderBackward(ops, dW.sEmbed, s, s.dlwEmb, a.time, W.sEmbed, n);
}

// ---------------------------------------------------------------------------
// The model

type Alloc = (n: number, label: string) => Tensor;

/**
 * Every activation of the forward pass. A trainable model keeps each block's
 * (backward reads them); an inference-only one needs each only until the
 * next block runs, so its blocks share one set and the residual stream
 * alternates between two buffers — at the paper's OWT shape (L = 1024,
 * 12 blocks) 113 MB per sequence instead of 1.4 GB.
 */
function allocActivations(T: Alloc, cfg: DiTConfig, n: Dims, dropout: boolean, inference: boolean): DiTActivations {
  const { B, L, R, D, C, F } = n;
  const timeActs = (label: string): TimeActs => ({ feat: T(B * TIME_FEATURES, `${label}.feat`), pre: T(B * C, `${label}.pre`), act: T(B * C, `${label}.act`) });
  const cond: CondActs = {
    time: timeActs('sigma_map'), timePrime: cfg.twoTime ? timeActs('sigma_map_prime') : null,
    emb: T(B * C, 'emb'), c: T(B * C, 'c'),
  };
  const streams = inference ? [T(R * D, 'h (even blocks)'), T(R * D, 'h (odd blocks)')] : null;
  const hs = Array.from({ length: cfg.blocks + 1 }, (_, i) => streams ? streams[i % 2] : T(R * D, `h${i}`));
  const blockActs = (b: string): BlockActs => {
    return {
      mod: T(B * blockAdaLn(D).stride, `${b}.mod`),
      ln1: T(R * D, `${b}.ln1`), mean1: T(R, `${b}.mean1`), rstd1: T(R, `${b}.rstd1`),
      qkv: T(R * 3 * D, `${b}.qkv`), q: T(R * D, `${b}.q`), k: T(R * D, `${b}.k`), v: T(R * D, `${b}.v`),
      att: T(B * cfg.heads * L * L, `${b}.att`), o: T(R * D, `${b}.o`), attnY: T(R * D, `${b}.attnY`),
      hMid: T(R * D, `${b}.hMid`),
      ln2: T(R * D, `${b}.ln2`), mean2: T(R, `${b}.mean2`), rstd2: T(R, `${b}.rstd2`),
      fc: T(R * F, `${b}.fc`), fcAct: T(R * F, `${b}.fcAct`), mlpY: T(R * D, `${b}.mlpY`),
      attnYd: dropout ? T(R * D, `${b}.attnYd`) : null,
      mlpYd: dropout ? T(R * D, `${b}.mlpYd`) : null,
    };
  };
  const shared = inference ? blockActs('blocks.*') : null;
  const blocks = Array.from({ length: cfg.blocks }, (_, i) => shared ?? blockActs(`blocks.${i}`));
  const final: FinalActs = {
    mod: T(B * finalAdaLn(D).stride, 'output.mod'),
    ln: T(R * D, 'output.ln'), mean: T(R, 'output.mean'), rstd: T(R, 'output.rstd'),
  };
  const lw: LossWeightActs | null = cfg.lossWeighting
    ? { time: timeActs('lw.s_embed'), emb: T(B * C, 'lw.emb'), hid: T(B * LOSS_WEIGHT_HIDDEN, 'lw.hid'), hidAct: T(B * LOSS_WEIGHT_HIDDEN, 'lw.hidAct') }
    : null;
  return { cond, hs, blocks, final, lw };
}

function allocScratch(T: Alloc, cfg: DiTConfig, n: Dims): BackwardScratch {
  const { B, L, R, D, C, F } = n;
  return {
    dh: T(R * D, 'dh'), dyd: T(R * D, 'dyd'), dy: T(R * D, 'dy'), dln: T(R * D, 'dln'),
    dmod: T(B * blockAdaLn(D).stride, 'dmod'), dmodFinal: T(B * finalAdaLn(D).stride, 'dmodFinal'),
    dfcAct: T(R * F, 'dfcAct'), dfc: T(R * F, 'dfc'), dO: T(R * D, 'dO'),
    dq: T(R * D, 'dq'), dk: T(R * D, 'dk'), dv: T(R * D, 'dv'), datt: T(B * cfg.heads * L * L, 'datt'),
    dqkv: T(R * 3 * D, 'dqkv'), dc: T(B * C, 'dc'), demb: T(B * C, 'demb'), dtime: T(B * C, 'dtime'), dtimePre: T(B * C, 'dtimePre'),
    dlwEmb: T(B * C, 'dlwEmb'), dlwHidAct: T(B * LOSS_WEIGHT_HIDDEN, 'dlwHidAct'), dlwHid: T(B * LOSS_WEIGHT_HIDDEN, 'dlwHid'),
  };
}

export class DiT {
  readonly layout: ParamLayout;
  /** Built without gradients and backward scratch (samplers, frozen teachers): `backward` throws. */
  readonly inference: boolean;
  readonly B: number;
  readonly rows: number;
  /** Flat parameters and gradients, laid out by `layout`. */
  readonly params: Tensor;
  readonly grads: Tensor;
  /** Typed views of `params`. */
  readonly p: DiTParams<Tensor>;
  /** Typed views of `grads` (null for an inference-only model). */
  readonly g: DiTParams<Tensor> | null;

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

  private readonly dims: Dims;
  private readonly acts: DiTActivations;
  /** Null for an inference-only model. */
  private readonly scratch: BackwardScratch | null;
  /** Every tensor this model allocated (not shared parameters), for release(). */
  private readonly owned: Tensor[] = [];

  constructor(
    readonly backend: Backend, readonly cfg: DiTConfig, batch: number,
    shared?: { params?: Tensor; grads?: Tensor; dropout?: boolean; inference?: boolean },
  ) {
    validateConfig(cfg);
    this.layout = paramLayout(cfg);
    this.B = batch;
    const n = this.dims = modelDims(cfg, batch);
    const { R, V } = n;
    this.rows = R;
    const T: Alloc = (size, label) => { const t = backend.tensor(size, label); this.owned.push(t); return t; };
    this.inference = shared?.inference ?? false;
    // Inference only (samplers, frozen teachers): no gradients, no backward scratch.
    const none = this.inference ? T(1, 'no gradients (inference only)') : null;
    const G: Alloc = (size, label) => none ?? T(size, label);
    this.params = shared?.params ?? T(this.layout.total, 'params');
    this.grads = shared?.grads ?? G(this.layout.total, 'grads');
    this.p = tensorViews(backend, this.params, this.layout);
    this.g = none ? null : tensorViews(backend, this.grads, this.layout, 'grad.');
    this.x = T(R * V, 'x');
    this.t = T(batch, 't');
    this.tPrime = cfg.twoTime ? T(batch, "t'") : null;
    this.targets = backend.tensor(R, 'targets', 'u32');
    this.owned.push(this.targets);
    this.acts = allocActivations(T, cfg, n, shared?.dropout ?? false, this.inference);
    this.logits = T(R * V, 'logits');
    this.w = cfg.lossWeighting ? T(batch, 'w') : null;
    this.ce = T(R, 'ce'); this.perToken = T(R, 'perToken'); this.loss = T(1, 'loss');
    this.dlogits = G(R * V, 'dlogits');
    this.dw = cfg.lossWeighting ? G(batch, 'dw') : null;
    this.dce = T(R, 'dce');
    this.dx = G(R * V, 'dx');
    this.scratch = none ? null : allocScratch(T, cfg, n);
  }

  /** Give every tensor this model allocated back to the backend's pool. */
  release(): void {
    for (const t of this.owned.splice(0)) this.backend.release(t);
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
    const ops = this.backend.ops, n = this.dims, p = this.p, a = this.acts, c = a.cond.c;
    const d = activeDropout(opts.dropout);
    conditioningForward(ops, a.cond, this.t, this.tPrime, p, n);
    embedForward(ops, a.hs[0], this.x, p.vocabEmbed, n);
    p.blocks.forEach((W, i) => blockForward(ops, a.hs[i + 1], a.blocks[i], a.hs[i], c, W, n, d, i));
    finalLayerForward(ops, this.logits, a.final, a.hs[p.blocks.length], c, p.finalLayer, n);
    if (p.lossWeighting && a.lw && this.w) lossWeightingForward(ops, this.w, a.lw, this.t, p.lossWeighting, n);
  }

  /**
   * The FLM objective's loss on the forward's logits (spec section 4):
   * ce per token, optional weighting exp(−w)·ce + w, the mean; and the seeds
   * of the backward pass (dlogits, dw).
   */
  crossEntropyLoss(): void {
    const ops = this.backend.ops, R = this.rows, V = this.cfg.vocab;
    ops.crossEntropy(this.ce, this.logits, this.targets, R, V);
    ops.weightedLoss({
      perToken: this.perToken, loss: this.loss, dce: this.dce, dw: this.inference ? null : this.dw, ce: this.ce, w: this.w,
    }, this.B, this.cfg.length);
    if (!this.inference) ops.crossEntropyBackward(this.dlogits, this.logits, this.targets, this.dce, R, V);
  }

  /** Gradients of every parameter from `dlogits` (and `dw`), optionally of x. */
  backward(opts: BackwardOptions = {}): void {
    const g = this.g, s = this.scratch;
    if (this.inference || !g || !s) throw new Error('this DiT was built for inference only (no gradients)');
    const ops = this.backend.ops, n = this.dims, p = this.p, a = this.acts, c = a.cond.c;
    const d = activeDropout(opts.dropout);
    const last = p.blocks.length;
    finalLayerBackward(ops, g.finalLayer, s, this.dlogits, a.final, a.hs[last], c, p.finalLayer, n);
    for (let i = last - 1; i >= 0; i--) blockBackward(ops, g.blocks[i], s, a.blocks[i], a.hs[i], c, p.blocks[i], n, d, i);
    embedBackward(ops, opts.inputGrad ? this.dx : null, g.vocabEmbed, s.dh, this.x, p.vocabEmbed, n);
    conditioningBackward(ops, g, s, a.cond, p, n);
    if (p.lossWeighting && g.lossWeighting && a.lw && this.dw) lossWeightingBackward(ops, g.lossWeighting, s, this.dw, a.lw, p.lossWeighting, n);
  }
}
