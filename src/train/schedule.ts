/** Training hyper-parameters and schedules (spec section 4's reference values by default). */

export type { TrainConfig } from '../io/meta.ts';
import type { TrainConfig } from '../io/meta.ts';

export const REFERENCE_TRAIN: Omit<TrainConfig, 'batch' | 'steps'> = {
  lr: 3e-4, warmup: 2500, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: 1,
  emaDecay: 0.9999, seed: 0, tMin: 0, tMax: 1, evalEvery: 100, evalBatches: 4, dropout: 0.1,
};

export function learningRate(c: TrainConfig, step: number): number {
  if (c.warmup <= 0) return c.lr;
  return c.lr * Math.min(1, (step + 1) / c.warmup);
}

/**
 * EMA decay at a step: the configured decay, but never more than
 * (1 + step)/(10 + step), so a short run's EMA is not stuck at the
 * initial weights (with decay 0.9999 it would take ~10k steps to move).
 */
export function emaDecayAt(c: TrainConfig, step: number): number {
  return Math.min(c.emaDecay, (1 + step) / (10 + step));
}
