/**
 * The one declaration of the DiT's parameters: official state_dict names,
 * shapes, initialisation and their place in the flat parameter buffer (and,
 * identically, in the gradient and optimiser buffers). Offsets are aligned to
 * 64 floats so every parameter can be bound as a GPU buffer view.
 *
 * It builds the typed structure of params.ts (`DiTParams<ParamSpec>`) and the
 * flat list of specs together, so the two cannot disagree: the order in which
 * fields are declared below is the order of the flat buffer (and of the
 * initialiser's per-parameter counters), and must not change.
 */
import { alignUp } from '../engine/backend.ts';
import { blockAdaLn, finalAdaLn } from './adaln.ts';
import { LOSS_WEIGHT_HIDDEN, TIME_FEATURES, type DiTConfig } from './config.ts';
import type { DiTParams, Linear, TimeEmbedderParams } from './params.ts';

export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'ones' }
  | { kind: 'zeros' };

export interface ParamSpec {
  /** The official state_dict name. */
  name: string;
  shape: number[];
  size: number;
  offset: number;
  init: Init;
}

export interface ParamLayout {
  /** Every parameter in buffer order. */
  specs: ParamSpec[];
  /** The same specs by official name (checkpoints and fixtures only; the model uses `params`). */
  byName: Map<string, ParamSpec>;
  /** The same specs as the typed structure the model reads. */
  params: DiTParams<ParamSpec>;
  /** Floats in the flat buffer, padding included. */
  total: number;
  /** Parameters proper, padding excluded. */
  count: number;
}

const uniform = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
const zeros: Init = { kind: 'zeros' };
const ones: Init = { kind: 'ones' };

export function paramLayout(cfg: DiTConfig): ParamLayout {
  const { vocab: V, hidden: D, cond: C } = cfg;
  const F = cfg.mlpRatio * D;
  const specs: ParamSpec[] = [];
  let offset = 0, count = 0;
  /** Append one parameter to the flat buffer. */
  const param = (name: string, shape: number[], init: Init): ParamSpec => {
    const size = shape.reduce((a, b) => a * b, 1);
    const spec: ParamSpec = { name, shape, size, offset, init };
    specs.push(spec);
    offset = alignUp(offset + size);
    count += size;
    return spec;
  };
  /** nn.Linear(inp, out): weight [out, inp] then bias [out]. */
  const linear = (name: string, out: number, inp: number, bias: boolean, init?: Init): Linear<ParamSpec> => ({
    weight: param(`${name}.weight`, [out, inp], init ?? uniform(inp)),
    bias: bias ? param(`${name}.bias`, [out], init ?? uniform(inp)) : null,
    inFeatures: inp, outFeatures: out,
  });
  const timeEmbedder = (prefix: string): TimeEmbedderParams<ParamSpec> => ({
    mlp0: linear(`${prefix}.mlp.0`, C, TIME_FEATURES, true),
    mlp2: linear(`${prefix}.mlp.2`, C, C, true),
  });
  // Object literals evaluate their fields in source order: this is buffer order.
  const params: DiTParams<ParamSpec> = {
    vocabEmbed: param('vocab_embed.embedding', [V, D], uniform(D)),
    sigmaMap: timeEmbedder('sigma_map'),
    sigmaMapPrime: cfg.twoTime ? timeEmbedder('sigma_map_prime') : null,
    blocks: Array.from({ length: cfg.blocks }, (_, i) => {
      const b = `blocks.${i}`;
      return {
        norm1: param(`${b}.norm1.weight`, [D], ones),
        attnQkv: linear(`${b}.attn_qkv`, 3 * D, D, false),
        attnOut: linear(`${b}.attn_out`, D, D, false),
        norm2: param(`${b}.norm2.weight`, [D], ones),
        mlp0: linear(`${b}.mlp.0`, F, D, true),
        mlp2: linear(`${b}.mlp.2`, D, F, true),
        adaLN: linear(`${b}.adaLN_modulation`, blockAdaLn(D).stride, C, true, zeros),
      };
    }),
    finalLayer: {
      normFinal: param('output_layer.norm_final.weight', [D], ones),
      linear: linear('output_layer.linear', V, D, true, zeros),
      adaLN: linear('output_layer.adaLN_modulation', finalAdaLn(D).stride, C, true, zeros),
    },
    lossWeighting: cfg.lossWeighting
      ? {
          sEmbed: timeEmbedder('learnable_loss_weighting.s_embed'),
          mlp0: linear('learnable_loss_weighting.mlp.0', LOSS_WEIGHT_HIDDEN, C, true),
          mlp2: linear('learnable_loss_weighting.mlp.2', 1, LOSS_WEIGHT_HIDDEN, true, zeros),
        }
      : null,
  };
  return { specs, byName: new Map(specs.map((s) => [s.name, s])), params, total: offset, count };
}

/** Non-trainable buffers of the official state_dict (exported for compatibility). */
export function bufferNames(): string[] {
  return ['rotary_emb.inv_freq'];
}
