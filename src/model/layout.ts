/**
 * The one declaration of the DiT's parameters: official state_dict names,
 * shapes, initialisation and their place in the flat parameter buffer (and,
 * identically, in the gradient and optimiser buffers). Offsets are aligned to
 * 64 floats so every parameter can be bound as a GPU buffer view.
 */
import { alignUp } from '../engine/backend.ts';
import { LOSS_WEIGHT_HIDDEN, TIME_FEATURES, type DiTConfig } from './config.ts';

export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'ones' }
  | { kind: 'zeros' };

export interface ParamSpec {
  name: string;
  shape: number[];
  size: number;
  offset: number;
  init: Init;
}

export interface ParamLayout {
  specs: ParamSpec[];
  byName: Map<string, ParamSpec>;
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
  const raw: [string, number[], Init][] = [];
  const linear = (name: string, out: number, inp: number, bias: boolean, init?: Init) => {
    raw.push([`${name}.weight`, [out, inp], init ?? uniform(inp)]);
    if (bias) raw.push([`${name}.bias`, [out], init ?? uniform(inp)]);
  };
  const timeEmbedder = (prefix: string) => {
    linear(`${prefix}.mlp.0`, C, TIME_FEATURES, true);
    linear(`${prefix}.mlp.2`, C, C, true);
  };
  raw.push(['vocab_embed.embedding', [V, D], uniform(D)]);
  timeEmbedder('sigma_map');
  if (cfg.twoTime) timeEmbedder('sigma_map_prime');
  for (let i = 0; i < cfg.blocks; i++) {
    const b = `blocks.${i}`;
    raw.push([`${b}.norm1.weight`, [D], ones]);
    linear(`${b}.attn_qkv`, 3 * D, D, false);
    linear(`${b}.attn_out`, D, D, false);
    raw.push([`${b}.norm2.weight`, [D], ones]);
    linear(`${b}.mlp.0`, F, D, true);
    linear(`${b}.mlp.2`, D, F, true);
    linear(`${b}.adaLN_modulation`, 6 * D, C, true, zeros);
  }
  raw.push(['output_layer.norm_final.weight', [D], ones]);
  linear('output_layer.linear', V, D, true, zeros);
  linear('output_layer.adaLN_modulation', 2 * D, C, true, zeros);
  if (cfg.lossWeighting) {
    timeEmbedder('learnable_loss_weighting.s_embed');
    linear('learnable_loss_weighting.mlp.0', LOSS_WEIGHT_HIDDEN, C, true);
    linear('learnable_loss_weighting.mlp.2', 1, LOSS_WEIGHT_HIDDEN, true, zeros);
  }
  const specs: ParamSpec[] = [];
  let offset = 0, count = 0;
  for (const [name, shape, init] of raw) {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, size, offset, init });
    offset = alignUp(offset + size);
    count += size;
  }
  return { specs, byName: new Map(specs.map((s) => [s.name, s])), total: offset, count };
}

/** Non-trainable buffers of the official state_dict (exported for compatibility). */
export function bufferNames(): string[] {
  return ['rotary_emb.inv_freq'];
}
