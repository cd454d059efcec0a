/**
 * Named model sizes. `micro` matches the TF.js peer configuration of
 * docs/platform.md; `base` is the recipe of the bundled models that write
 * English, chosen by timing trials on a 2-core CPU (docs/models-base.md).
 */
import { blockAdaLn, finalAdaLn } from '../model/adaln.ts';
import { paramLayout } from '../model/layout.ts';
import { defaultConfig, type DiTConfig } from '../model/config.ts';
import { REFERENCE_TRAIN, type TrainConfig } from './schedule.ts';

export type PresetName = 'micro' | 'small' | 'base';

export interface Preset {
  name: PresetName;
  description: string;
  config: Omit<DiTConfig, 'vocab'>;
  batch: number;
  /** Training defaults for this size (the reference's lr and warm-up are for batch 512 and 1M steps). */
  train: Partial<TrainConfig>;
}

export const PRESETS: Record<PresetName, Preset> = {
  micro: {
    name: 'micro',
    description: 'L 64, D 64, 4 heads, 4 blocks, batch 16: trains on a CPU fallback adapter',
    config: { length: 64, hidden: 64, heads: 4, blocks: 4, cond: 32, twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4 },
    batch: 16,
    train: { lr: 2e-3, warmup: 50, emaDecay: 0.999, evalEvery: 20, evalBatches: 4, dropout: 0 },
  },
  small: {
    name: 'small',
    description: 'L 128, D 256, 8 heads, 6 blocks, batch 32: a laptop GPU',
    config: { length: 128, hidden: 256, heads: 8, blocks: 6, cond: 128, twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4 },
    batch: 32,
    train: { lr: 1e-3, warmup: 200, emaDecay: 0.9995, evalEvery: 200, evalBatches: 8, dropout: 0 },
  },
  base: {
    name: 'base',
    description: 'L 40, D 192, 6 heads, 6 blocks, batch 32 (5.0M parameters with the 4,096-token BPE of the whole corpus: 40 tokens ≈ 139 characters): hours on a CPU (WebAssembly backend)',
    config: { length: 40, hidden: 192, heads: 6, blocks: 6, cond: 96, twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4 },
    batch: 32,
    train: { lr: 1e-3, warmup: 200, emaDecay: 0.9995, evalEvery: 200, evalBatches: 8, dropout: 0 },
  },
};

export function presetConfig(name: PresetName, vocab: number): DiTConfig {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}" (choose ${Object.keys(PRESETS).join(', ')})`);
  return defaultConfig({ ...p.config, vocab });
}

export function presetTrain(name: PresetName, steps = 1000): TrainConfig {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}" (choose ${Object.keys(PRESETS).join(', ')})`);
  return { ...REFERENCE_TRAIN, batch: p.batch, steps, ...p.train };
}

/**
 * Estimated GPU memory of training (bytes): parameters, gradients, Adam
 * moments and the EMA (5 copies), plus the activations kept for backward.
 */
export function trainingMemoryBytes(cfg: DiTConfig, batch: number): number {
  const P = paramLayout(cfg).total;
  const { vocab: V, length: L, hidden: D, heads: H } = cfg;
  const R = batch * L, F = cfg.mlpRatio * D;
  const perBlock = R * (D * 12 + 3 * D + 2 * F) + 2 * batch * H * L * L;
  const acts = cfg.blocks * perBlock + R * (6 * V + 6 * D + 2 * F) + 2 * batch * H * L * L;
  return 4 * (5 * P + acts);
}

/** Approximate FLOPs of one forward pass (matmuls and attention; 2 per multiply-add). */
export function forwardFlops(cfg: DiTConfig, batch: number): number {
  const { vocab: V, length: L, hidden: D, cond: C } = cfg;
  const R = batch * L, F = cfg.mlpRatio * D;
  const blockMod = blockAdaLn(D).stride, finalMod = finalAdaLn(D).stride;
  const perBlock = 2 * R * (3 * D * D + D * D + 2 * D * F) + 2 * 2 * batch * L * L * D + 2 * batch * C * blockMod;
  return 2 * R * V * D + cfg.blocks * perBlock + 2 * R * D * V + 2 * batch * C * finalMod;
}

export function parameterCount(cfg: DiTConfig): number {
  return paramLayout(cfg).count;
}
