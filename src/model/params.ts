/**
 * The DiT's parameters as a typed structure (llm.c's `ParameterTensors`):
 * one named field per weight, its shape in the comment. The structure is
 * generic in what a field holds, so the same declaration describes
 *
 *   - the layout itself (`DiTParams<ParamSpec>`: official name, shape, offset),
 *     built once by `paramLayout` in layout.ts, the single declaration;
 *   - device views of any flat buffer laid out by it — weights, gradients,
 *     Adam moments, EMA (`DiTParams<Tensor>`, from `tensorViews`);
 *   - host views of a flat Float32Array (`DiTParams<Float32Array>`, from `hostViews`).
 *
 * Shapes use V vocab, D hidden, C cond, F = mlpRatio·D, TF = TIME_FEATURES,
 * LH = LOSS_WEIGHT_HIDDEN. Official state_dict names are in brackets.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import type { ParamLayout, ParamSpec } from './layout.ts';

/** nn.Linear: y = x·Wᵀ (+ b). `[name].weight` [out, in], `[name].bias` [out]. */
export interface Linear<T> {
  readonly weight: T;
  /** Null for the bias-free layers (attention). */
  readonly bias: T | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** TimestepEmbedder [prefix]: sinusoidal features → Linear → SiLU → Linear. */
export interface TimeEmbedderParams<T> {
  /** [prefix.mlp.0] W [C, TF], b [C]. */
  readonly mlp0: Linear<T>;
  /** [prefix.mlp.2] W [C, C], b [C]. */
  readonly mlp2: Linear<T>;
}

/** DDiTBlock [blocks.i]. */
export interface BlockParams<T> {
  /** [norm1.weight] [D]. */
  readonly norm1: T;
  /** [attn_qkv] W [3D, D], no bias. */
  readonly attnQkv: Linear<T>;
  /** [attn_out] W [D, D], no bias. */
  readonly attnOut: Linear<T>;
  /** [norm2.weight] [D]. */
  readonly norm2: T;
  /** [mlp.0] W [F, D], b [F]. */
  readonly mlp0: Linear<T>;
  /** [mlp.2] W [D, F], b [D]. */
  readonly mlp2: Linear<T>;
  /** [adaLN_modulation] W [6D, C], b [6D]: the chunks of `blockAdaLn` (adaln.ts). */
  readonly adaLN: Linear<T>;
}

/** DDitFinalLayer [output_layer]. */
export interface FinalLayerParams<T> {
  /** [norm_final.weight] [D]. */
  readonly normFinal: T;
  /** [linear] W [V, D], b [V]. */
  readonly linear: Linear<T>;
  /** [adaLN_modulation] W [2D, C], b [2D]: the chunks of `finalAdaLn` (adaln.ts). */
  readonly adaLN: Linear<T>;
}

/** The learnable loss weighting head [learnable_loss_weighting]: w(t). */
export interface LossWeightingParams<T> {
  /** [s_embed] a TimestepEmbedder on t. */
  readonly sEmbed: TimeEmbedderParams<T>;
  /** [mlp.0] W [LH, C], b [LH]. */
  readonly mlp0: Linear<T>;
  /** [mlp.2] W [1, LH], b [1]. */
  readonly mlp2: Linear<T>;
}

export interface DiTParams<T> {
  /** [vocab_embed.embedding] [V, D]. */
  readonly vocabEmbed: T;
  /** [sigma_map] the embedder of t. */
  readonly sigmaMap: TimeEmbedderParams<T>;
  /** [sigma_map_prime] the embedder of t' (two-time models only). */
  readonly sigmaMapPrime: TimeEmbedderParams<T> | null;
  /** [blocks.i], i < cfg.blocks. */
  readonly blocks: readonly BlockParams<T>[];
  /** [output_layer]. */
  readonly finalLayer: FinalLayerParams<T>;
  /** [learnable_loss_weighting] (loss-weighting models only). */
  readonly lossWeighting: LossWeightingParams<T> | null;
}

/** The same structure with every field mapped by `f` (in layout order). */
export function mapParams<A, B>(p: DiTParams<A>, f: (a: A) => B): DiTParams<B> {
  const linear = (l: Linear<A>): Linear<B> => ({
    weight: f(l.weight), bias: l.bias === null ? null : f(l.bias), inFeatures: l.inFeatures, outFeatures: l.outFeatures,
  });
  const time = (t: TimeEmbedderParams<A>): TimeEmbedderParams<B> => ({ mlp0: linear(t.mlp0), mlp2: linear(t.mlp2) });
  return {
    vocabEmbed: f(p.vocabEmbed),
    sigmaMap: time(p.sigmaMap),
    sigmaMapPrime: p.sigmaMapPrime && time(p.sigmaMapPrime),
    blocks: p.blocks.map((b) => ({
      norm1: f(b.norm1), attnQkv: linear(b.attnQkv), attnOut: linear(b.attnOut),
      norm2: f(b.norm2), mlp0: linear(b.mlp0), mlp2: linear(b.mlp2), adaLN: linear(b.adaLN),
    })),
    finalLayer: { normFinal: f(p.finalLayer.normFinal), linear: linear(p.finalLayer.linear), adaLN: linear(p.finalLayer.adaLN) },
    lossWeighting: p.lossWeighting && {
      sEmbed: time(p.lossWeighting.sEmbed), mlp0: linear(p.lossWeighting.mlp0), mlp2: linear(p.lossWeighting.mlp2),
    },
  };
}

/**
 * Device views of a flat buffer laid out by `layout` (weights, gradients,
 * Adam moments or EMA); `labelPrefix` names them, e.g. 'grad.'.
 */
export function tensorViews(backend: Backend, flat: Tensor, layout: ParamLayout, labelPrefix = ''): DiTParams<Tensor> {
  return mapParams(layout.params, (s) => backend.view(flat, s.offset, s.size, labelPrefix + s.name));
}

/** Views (subarrays, sharing memory) of a flat host array laid out by `layout`. */
export function hostViews(flat: Float32Array, layout: ParamLayout): DiTParams<Float32Array> {
  if (flat.length !== layout.total) throw new RangeError(`hostViews: ${flat.length} floats, the layout needs ${layout.total}`);
  return mapParams(layout.params, (s: ParamSpec) => flat.subarray(s.offset, s.offset + s.size));
}

/**
 * Call `f` on every pair of corresponding fields that both structures have
 * (a student and its teacher: the parts one of them lacks — t' embedder,
 * loss weighting head, extra blocks — are skipped), in layout order.
 */
export function forEachShared<A, B>(a: DiTParams<A>, b: DiTParams<B>, f: (a: A, b: B) => void): void {
  const linear = (x: Linear<A>, y: Linear<B>) => {
    f(x.weight, y.weight);
    if (x.bias !== null && y.bias !== null) f(x.bias, y.bias);
  };
  const time = (x: TimeEmbedderParams<A>, y: TimeEmbedderParams<B>) => { linear(x.mlp0, y.mlp0); linear(x.mlp2, y.mlp2); };
  f(a.vocabEmbed, b.vocabEmbed);
  time(a.sigmaMap, b.sigmaMap);
  if (a.sigmaMapPrime && b.sigmaMapPrime) time(a.sigmaMapPrime, b.sigmaMapPrime);
  for (let i = 0; i < Math.min(a.blocks.length, b.blocks.length); i++) {
    const x = a.blocks[i], y = b.blocks[i];
    f(x.norm1, y.norm1); linear(x.attnQkv, y.attnQkv); linear(x.attnOut, y.attnOut);
    f(x.norm2, y.norm2); linear(x.mlp0, y.mlp0); linear(x.mlp2, y.mlp2); linear(x.adaLN, y.adaLN);
  }
  f(a.finalLayer.normFinal, b.finalLayer.normFinal);
  linear(a.finalLayer.linear, b.finalLayer.linear);
  linear(a.finalLayer.adaLN, b.finalLayer.adaLN);
  if (a.lossWeighting && b.lossWeighting) {
    time(a.lossWeighting.sEmbed, b.lossWeighting.sEmbed);
    linear(a.lossWeighting.mlp0, b.lossWeighting.mlp0);
    linear(a.lossWeighting.mlp2, b.lossWeighting.mlp2);
  }
}
