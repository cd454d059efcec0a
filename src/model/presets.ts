/** Named model sizes. `micro` matches the TF.js peer configuration of docs/platform.md. */
import { paramLayout } from './layout.ts';
import { defaultConfig, type DiTConfig } from './config.ts';

export interface Preset {
  name: string;
  description: string;
  config: Omit<DiTConfig, 'vocab'>;
  batch: number;
}

export const PRESETS: Record<'micro' | 'small', Preset> = {
  micro: {
    name: 'micro',
    description: 'L 64, D 64, 4 heads, 4 blocks, batch 16: trains on a CPU fallback adapter',
    config: { length: 64, hidden: 64, heads: 4, blocks: 4, cond: 32, twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4 },
    batch: 16,
  },
  small: {
    name: 'small',
    description: 'L 128, D 256, 8 heads, 6 blocks, batch 32: a laptop GPU',
    config: { length: 128, hidden: 256, heads: 8, blocks: 6, cond: 128, twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4 },
    batch: 32,
  },
};

export function presetConfig(name: keyof typeof PRESETS, vocab: number): DiTConfig {
  return defaultConfig({ ...PRESETS[name].config, vocab });
}

/** Approximate FLOPs of one forward pass (matmuls and attention; 2 per multiply-add). */
export function forwardFlops(cfg: DiTConfig, batch: number): number {
  const { vocab: V, length: L, hidden: D, cond: C } = cfg;
  const R = batch * L, F = cfg.mlpRatio * D;
  const perBlock = 2 * R * (3 * D * D + D * D + 2 * D * F) + 2 * 2 * batch * L * L * D + 2 * batch * C * 6 * D;
  return 2 * R * V * D + cfg.blocks * perBlock + 2 * R * D * V + 2 * batch * C * 2 * D;
}

export function parameterCount(cfg: DiTConfig): number {
  return paramLayout(cfg).count;
}
