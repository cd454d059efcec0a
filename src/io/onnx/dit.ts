/**
 * The DiT forward pass (spec section 3) as an ONNX graph, built from the
 * config and the typed parameter layout (never from backend code):
 *
 *   inputs   xt [batch, L, V] float, t [batch] float, t_prime [batch] (two-time models)
 *   output   logits [batch, L, V] float
 *
 * `batch` is symbolic; L and V are the model's. The residual stream is
 * [batch, L, D]; per-item adaLN chunks are [batch, 1, D] and broadcast over
 * positions. Operators (opset 17, default domain only): MatMul, Gemm, Add,
 * Sub, Mul, Div, Sigmoid, Tanh, Cos, Sin, Concat, Slice, Split, Squeeze,
 * Unsqueeze, Reshape, Transpose, Softmax, LayerNormalization, and Cast for
 * float16 weights.
 *
 * - time embedding: f = [cos(t·ω), sin(t·ω)], ω_i = exp(−ln(10000)·i/128)
 *   (a float32 table), then Linear, SiLU (x·sigmoid(x)), Linear;
 * - rotary: NeoX halves with precomputed float32 cos/sin tables [L, d/2]
 *   (angle p·inv_freq_i, inv_freq from the engine's host math);
 * - attention: q·kᵀ·(1/√d), softcap c·tanh(s/c) (when c > 0), a −∞ mask
 *   above the diagonal for causal models, Softmax over keys;
 * - GELU (tanh): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), written out
 *   (the Gelu operator arrives only in opset 20);
 * - LayerNorm without bias: LayerNormalization(eps 1e−5) with the norm weight.
 *
 * Linear weights keep their official names and [out, in] layout; the row
 * linears multiply by a Transpose of them (onnxruntime folds it at load).
 * The loss-weighting head is not part of the graph (it is not used to sample).
 */
import { ropeInvFreq } from '../../engine/host/rope.ts';
import { BLOCK_CHUNKS, FINAL_CHUNKS, blockAdaLn, finalAdaLn, type AdaLnLayout } from '../../model/adaln.ts';
import { LN_EPS, TIME_FEATURES, validateConfig, type DiTConfig } from '../../model/config.ts';
import { paramLayout } from '../../model/layout.ts';
import { mapParams, type DiTParams, type Linear, type TimeEmbedderParams } from '../../model/params.ts';
import { GraphBuilder } from './graph.ts';

/** Period of the sinusoidal time features (spec section 3: ω_i = exp(−ln(10000)·i/128)). */
const TIME_MAX_PERIOD = 10000;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Names of the graph's inputs and output. */
export const ONNX_INPUTS = { xt: 'xt', t: 't', tPrime: 't_prime' } as const;
export const ONNX_OUTPUT = 'logits';
export const BATCH_DIM = 'batch';

/** The float tensors of a weight structure, once added to the graph. */
type G = DiTParams<string>;

function addWeights(g: GraphBuilder, cfg: DiTConfig, flat: Float32Array): G {
  const layout = paramLayout(cfg);
  if (flat.length !== layout.total) throw new RangeError(`ONNX export: ${flat.length} floats of weights, the model's layout needs ${layout.total}`);
  // Every parameter but the loss-weighting head (not part of the logits), in layout order.
  return mapParams({ ...layout.params, lossWeighting: null }, (s) => g.weight(s.name, s.shape, flat.subarray(s.offset, s.offset + s.size)));
}

/** Builds the DiT's nodes on a GraphBuilder. */
class DiTGraph {
  private readonly D: number;
  private readonly L: number;
  private readonly heads: number;
  private readonly d: number;

  constructor(private readonly g: GraphBuilder, private readonly cfg: DiTConfig) {
    this.D = cfg.hidden; this.L = cfg.length; this.heads = cfg.heads; this.d = cfg.hidden / cfg.heads;
  }

  /** [B, in] → [B, out]: Gemm with the official [out, in] weight (transB). */
  linear2d(x: string, W: Linear<string>, name: string): string {
    return this.g.node('Gemm', W.bias ? [x, W.weight, W.bias] : [x, W.weight], name, { transB: { int: 1 } });
  }

  /** [B, L, in] → [B, L, out]: x·Wᵀ (+ b). */
  linear3d(x: string, W: Linear<string>, name: string, output?: string): string {
    const g = this.g;
    const wt = g.node('Transpose', [W.weight], `${name}.weightT`, { perm: { ints: [1, 0] } });
    if (!W.bias) return g.node('MatMul', [x, wt], name, {}, output);
    const y = g.node('MatMul', [x, wt], `${name}.matmul`);
    return g.node('Add', [y, W.bias], name, {}, output);
  }

  silu(x: string, name: string): string {
    return this.g.node('Mul', [x, this.g.node('Sigmoid', [x], `${name}.sigmoid`)], name);
  }

  /** Sinusoidal features [B, 256] of a time input [B]. */
  timeFeatures(t: string, name: string): string {
    const g = this.g, half = TIME_FEATURES / 2;
    const freqs = new Float32Array(half);
    for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(TIME_MAX_PERIOD) * i) / half);
    const col = g.node('Unsqueeze', [t, g.ints([1])], `${name}.column`);
    const arg = g.node('Mul', [col, g.table('time_frequencies', [half], freqs)], `${name}.angle`);
    return g.node('Concat', [g.node('Cos', [arg], `${name}.cos`), g.node('Sin', [arg], `${name}.sin`)], name, { axis: { int: 1 } });
  }

  /** A TimestepEmbedder: Linear, SiLU, Linear on the features. */
  timeEmbedder(feat: string, W: TimeEmbedderParams<string>, name: string): string {
    const h = this.silu(this.linear2d(feat, W.mlp0, `${name}.mlp.0`), `${name}.mlp.1`);
    return this.linear2d(h, W.mlp2, `${name}.mlp.2`);
  }

  /** The chunks of an adaLN modulation [B, n·D] as [B, 1, D] tensors, by name. */
  chunks<K extends string>(c: string, W: Linear<string>, names: readonly K[], layout: AdaLnLayout<K>, name: string): Record<K, string> {
    const g = this.g, D = this.D, n = names.length;
    const mod = this.linear2d(c, W, name);
    const byRow = g.node('Reshape', [mod, g.ints([-1, n, D])], `${name}.chunks`);
    const parts = g.nodeN('Split', [byRow, g.ints(Array(n).fill(1))], `${name}.split`, { axis: { int: 1 } }, n);
    // Chunk k lies at columns offset[k] .. offset[k] + D, i.e. row offset[k]/D of [B, n, D].
    const out = {} as Record<K, string>;
    for (const k of names) out[k] = parts[layout.offset[k] / D];
    return out;
  }

  /** LN(x)·w·(1 + scale) + shift, LayerNorm without bias. */
  lnModulate(x: string, w: string, shift: string, scale: string, name: string): string {
    const g = this.g;
    const ln = g.node('LayerNormalization', [x, w], `${name}.ln`, { axis: { int: -1 }, epsilon: { float: LN_EPS } });
    const onePlus = g.node('Add', [scale, g.scalar(1)], `${name}.one_plus_scale`);
    return g.node('Add', [g.node('Mul', [ln, onePlus], `${name}.scaled`), shift], name);
  }

  /** NeoX rotary on [B, H, L, d]: [x1·cos − x2·sin, x1·sin + x2·cos]. */
  rotary(x: string, cos: string, sin: string, name: string): string {
    const g = this.g, half = this.d / 2;
    const axes = g.ints([3]);
    const x1 = g.node('Slice', [x, g.ints([0]), g.ints([half]), axes], `${name}.x1`);
    const x2 = g.node('Slice', [x, g.ints([half]), g.ints([this.d]), axes], `${name}.x2`);
    const mul = (a: string, b: string, n: string) => g.node('Mul', [a, b], `${name}.${n}`);
    const lo = g.node('Sub', [mul(x1, cos, 'x1cos'), mul(x2, sin, 'x2sin')], `${name}.lo`);
    const hi = g.node('Add', [mul(x1, sin, 'x1sin'), mul(x2, cos, 'x2cos')], `${name}.hi`);
    return g.node('Concat', [lo, hi], name, { axis: { int: 3 } });
  }

  /** Softcapped (optionally causal) attention of a's rows; returns the attention output [B, L, D] before attn_out. */
  attention(a: string, Wqkv: Linear<string>, rope: { cos: string; sin: string }, mask: string | null, name: string): string {
    const g = this.g, { L, D, heads: H, d } = this;
    const qkv = this.linear3d(a, Wqkv, `${name}.qkv`);
    // [B, L, 3D] → [B, L, 3, H, d] → [3, B, H, L, d]: column which·D + head·d + j.
    const split5 = g.node('Reshape', [qkv, g.ints([-1, L, 3, H, d])], `${name}.qkv_heads`);
    const perm = g.node('Transpose', [split5], `${name}.qkv_perm`, { perm: { ints: [2, 0, 3, 1, 4] } });
    const [q3, k3, v3] = g.nodeN('Split', [perm, g.ints([1, 1, 1])], `${name}.qkv_split`, { axis: { int: 0 } }, 3);
    const sq = (x: string, n: string) => g.node('Squeeze', [x, g.ints([0])], `${name}.${n}`);
    const q = this.rotary(sq(q3, 'q_raw'), rope.cos, rope.sin, `${name}.q`);
    const k = this.rotary(sq(k3, 'k_raw'), rope.cos, rope.sin, `${name}.k`);
    const v = sq(v3, 'v');
    const kt = g.node('Transpose', [k], `${name}.kT`, { perm: { ints: [0, 1, 3, 2] } });
    let s = g.node('Mul', [g.node('MatMul', [q, kt], `${name}.qk`), g.scalar(1 / Math.sqrt(d))], `${name}.scores`);
    const cap = this.cfg.softcap;
    if (cap > 0) {
      const th = g.node('Tanh', [g.node('Div', [s, g.scalar(cap)], `${name}.scores_over_cap`)], `${name}.tanh`);
      s = g.node('Mul', [th, g.scalar(cap)], `${name}.softcap`);
    }
    if (mask) s = g.node('Add', [s, mask], `${name}.causal`);
    const p = g.node('Softmax', [s], `${name}.probs`, { axis: { int: -1 } });
    const o = g.node('MatMul', [p, v], `${name}.pv`);
    const ot = g.node('Transpose', [o], `${name}.heads_last`, { perm: { ints: [0, 2, 1, 3] } });
    return g.node('Reshape', [ot, g.ints([-1, L, D])], `${name}.concat_heads`);
  }

  /** GELU, tanh approximation. */
  gelu(x: string, name: string): string {
    const g = this.g;
    const x3 = g.node('Mul', [g.node('Mul', [x, x], `${name}.x2`), x], `${name}.x3`);
    const inner = g.node('Add', [x, g.node('Mul', [x3, g.scalar(0.044715)], `${name}.cubic`)], `${name}.inner`);
    const th = g.node('Tanh', [g.node('Mul', [inner, g.scalar(SQRT_2_OVER_PI)], `${name}.u`)], `${name}.tanh`);
    return g.node('Mul', [g.node('Mul', [x, g.scalar(0.5)], `${name}.half_x`), g.node('Add', [th, g.scalar(1)], `${name}.one_plus`)], name);
  }

  /** Rotary cos/sin tables [L, d/2] (angle p·inv_freq_i, computed in double, stored float32). */
  ropeTables(): { cos: string; sin: string } {
    const { L, d } = this, half = d / 2, inv = ropeInvFreq(d);
    const cos = new Float32Array(L * half), sin = new Float32Array(L * half);
    for (let p = 0; p < L; p++) for (let i = 0; i < half; i++) {
      const ang = p * inv[i];
      cos[p * half + i] = Math.cos(ang);
      sin[p * half + i] = Math.sin(ang);
    }
    return { cos: this.g.table('rotary_cos', [L, half], cos), sin: this.g.table('rotary_sin', [L, half], sin) };
  }

  /** 0 on and below the diagonal, −∞ above it (query i sees keys j ≤ i). */
  causalMask(): string {
    const L = this.L, m = new Float32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
    return this.g.table('causal_mask', [L, L], m);
  }

  build(W: G): void {
    const g = this.g, { cfg, L, D } = this, V = cfg.vocab;
    const xt = g.input(ONNX_INPUTS.xt, [BATCH_DIM, L, V], 'the state x_t: a noisy one-hot (or probabilities) per position');
    const t = g.input(ONNX_INPUTS.t, [BATCH_DIM], 'model time t in [0, 1] (not γ: see the time map)');
    const tPrime = cfg.twoTime ? g.input(ONNX_INPUTS.tPrime, [BATCH_DIM], "the flow map's target time t' in [0, 1]") : null;
    g.output(ONNX_OUTPUT, [BATCH_DIM, L, V], 'logits over the vocabulary (softmax: the prediction of the clean tokens)');

    // Conditioning c = silu(σ(t) [+ σ'(t')]).
    let emb = this.timeEmbedder(this.timeFeatures(t, 't_features'), W.sigmaMap, 'sigma_map');
    if (tPrime && W.sigmaMapPrime) {
      const e2 = this.timeEmbedder(this.timeFeatures(tPrime, 't_prime_features'), W.sigmaMapPrime, 'sigma_map_prime');
      emb = g.node('Add', [emb, e2], 'time_embedding');
    }
    const c = this.silu(emb, 'c');

    // h = x·E: a soft embedding [B, L, V]·[V, D].
    let h = g.node('MatMul', [xt, W.vocabEmbed], 'vocab_embed');
    const rope = this.ropeTables();
    const mask = cfg.causal ? this.causalMask() : null;
    W.blocks.forEach((B, i) => {
      const n = `blocks.${i}`;
      const m = this.chunks(c, B.adaLN, BLOCK_CHUNKS, blockAdaLn(D), `${n}.adaLN_modulation`);
      const a = this.lnModulate(h, B.norm1, m.shiftMsa, m.scaleMsa, `${n}.norm1`);
      const o = this.attention(a, B.attnQkv, rope, mask, `${n}.attn`);
      const attnY = this.linear3d(o, B.attnOut, `${n}.attn_out`);
      const hMid = g.node('Add', [h, g.node('Mul', [m.gateMsa, attnY], `${n}.gate_msa`)], `${n}.residual_msa`);
      const x2 = this.lnModulate(hMid, B.norm2, m.shiftMlp, m.scaleMlp, `${n}.norm2`);
      const fc = this.gelu(this.linear3d(x2, B.mlp0, `${n}.mlp.0`), `${n}.mlp.1`);
      const mlpY = this.linear3d(fc, B.mlp2, `${n}.mlp.2`);
      h = g.node('Add', [hMid, g.node('Mul', [m.gateMlp, mlpY], `${n}.gate_mlp`)], `${n}.residual_mlp`);
    });
    const F = W.finalLayer;
    const m = this.chunks(c, F.adaLN, FINAL_CHUNKS, finalAdaLn(D), 'output_layer.adaLN_modulation');
    const y = this.lnModulate(h, F.normFinal, m.shift, m.scale, 'output_layer.norm_final');
    this.linear3d(y, F.linear, 'output_layer.linear', ONNX_OUTPUT);
  }
}

/**
 * The DiT graph of `cfg` with the flat weights `flat` (laid out by
 * paramLayout(cfg)) as initializers; float16 storage with `f16`.
 */
export function buildDiTGraph(cfg: DiTConfig, flat: Float32Array, f16 = false): GraphBuilder {
  validateConfig(cfg);
  const g = new GraphBuilder(f16);
  new DiTGraph(g, cfg).build(addWeights(g, cfg, flat));
  return g;
}
