/**
 * Student initialisation (spec sections 6–7) and the random (s, d) pairs of
 * a distillation batch.
 *
 * Stage 1 (g): a two-time DiT with learnable loss weighting; every weight
 * with the same name as one of the teacher's is copied, then
 * `sigma_map_prime.mlp.2` and every Linear of `output_layer` are zeroed, so
 * g starts at exactly 0. Stage 2 (δ): a two-time DiT initialised from f with
 * `sigma_map_prime.mlp.2` zeroed (its output layer is kept, so δ starts as f).
 * Weights the teacher does not have (the second time embedder's first layer,
 * a loss-weighting head) keep the reference initialisation.
 */
import { CounterRng, STREAM, antitheticTimes } from '../flm/random.ts';
import type { TimeMap } from '../flm/timeMap.ts';
import type { DiTConfig } from '../model/config.ts';
import { initParams } from '../model/init.ts';
import { paramLayout } from '../model/layout.ts';
import { forEachShared, hostViews, type DiTParams, type Linear } from '../model/params.ts';

export type Stage = 1 | 2;

export function studentConfig(stage: Stage, teacher: DiTConfig): DiTConfig {
  return { ...teacher, twoTime: true, lossWeighting: stage === 1 ? true : teacher.lossWeighting };
}

/** The layers zeroed after the copy: g starts at exactly 0 (stage 1), δ at f (stage 2). */
function zeroedLayers(stage: Stage, p: DiTParams<Float32Array>): Linear<Float32Array>[] {
  const prime = p.sigmaMapPrime;
  if (!prime) throw new Error('a student is a two-time model');
  return stage === 1 ? [prime.mlp2, p.finalLayer.linear, p.finalLayer.adaLN] : [prime.mlp2];
}

export function initStudent(stage: Stage, teacher: DiTConfig, teacherWeights: Float32Array, seed: number): { config: DiTConfig; params: Float32Array } {
  const config = studentConfig(stage, teacher);
  const layout = paramLayout(config);
  const params = initParams(layout, seed);
  const student = hostViews(params, layout);
  // Every weight the teacher has (the student has the teacher's shape, plus parts).
  forEachShared(student, hostViews(teacherWeights, paramLayout(teacher)), (dst, src) => {
    if (dst.length !== src.length) throw new Error(`initStudent: a ${dst.length}-float weight against the teacher's ${src.length}`);
    dst.set(src);
  });
  for (const l of zeroedLayers(stage, student)) { l.weight.fill(0); l.bias?.fill(0); }
  return { config, params };
}

export interface DistillTimes { s: Float32Array; u: Float32Array; t: Float32Array; gs: Float32Array; gu: Float32Array; gt: Float32Array; boundary: number }

/**
 * (s, d) for one batch: d antithetic on [0, 1] (clamped ≥ 1e−6 in stage 1,
 * to [1e−5, 1] in stage 2), s = U·(1 − d), and with probability 1/64
 * (stage 1) or 1/128 (stage 2) the boundary pair (0, 1) that trains the
 * one-step jump. u = s + d/2, t = s + d, and their γ's.
 */
export function distillTimes(stage: Stage, seed: number, step: number, batch: number, timeMap: TimeMap): DistillTimes {
  const rng = new CounterRng(seed, STREAM.distillTimes, step);
  const d = Float64Array.from(antitheticTimes(rng, batch), (x) => (stage === 1 ? Math.max(x, 1e-6) : Math.min(1, Math.max(x, 1e-5))));
  const s = new Float64Array(batch);
  for (let i = 0; i < batch; i++) s[i] = rng.uniform() * (1 - d[i]);
  let boundary = 0;
  const p = stage === 1 ? 1 / 64 : 1 / 128;
  for (let i = 0; i < batch; i++) {
    if (rng.uniform() < p) { s[i] = 0; d[i] = 1; boundary++; }
  }
  const f = (g: (i: number) => number) => Float32Array.from({ length: batch }, (_, i) => g(i));
  const S = f((i) => s[i]), U = f((i) => s[i] + d[i] / 2), T = f((i) => Math.min(1, s[i] + d[i]));
  return { s: S, u: U, t: T, gs: S.map((x) => timeMap.gamma(x)), gu: U.map((x) => timeMap.gamma(x)), gt: T.map((x) => timeMap.gamma(x)), boundary };
}
