/**
 * What the Node benchmarks (bench.ts, wasm.ts) share: seeded inputs, the
 * median time of a compiled program, a training step's median time on
 * synthetic tokens, and where the JSON goes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Backend, Tensor } from '../src/engine/backend.ts';
import type { DiTConfig } from '../src/model/config.ts';
import type { TrainConfig } from '../src/train/schedule.ts';
import { FlmTrainer } from '../src/train/trainer.ts';

/** n values in [-0.5, 0.5) from a linear congruential generator seeded with `seed`. */
export const rand = (n: number, seed: number): Float32Array => {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
};

/** A tensor of n values on `b`, filled with `rand(n, seed)`. */
export const filled = (b: Backend, n: number, seed: number): Tensor => { const t = b.tensor(n); b.write(t, rand(n, seed)); return t; };

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median seconds of one run of the compiled `fn` (after a warm-up run): at least 3 runs, then more for minSeconds, at most maxRuns. */
export async function timeIt(b: Backend, fn: () => void, minSeconds: number, maxRuns: number): Promise<number> {
  const prog = b.compile(fn);
  prog.run();
  await b.sync();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < 3 || performance.now() - start < minSeconds * 1000)) {
    const t0 = performance.now();
    prog.run();
    await b.sync();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** An FLM trainer on `b` over synthetic tokens (64 batches' worth, repeating), without validation. */
export function benchTrainer(b: Backend, cfg: DiTConfig, train: TrainConfig): FlmTrainer {
  const tokens = Uint32Array.from({ length: 64 * train.batch * cfg.length }, (_, i) => (i * 7919) % cfg.vocab);
  return new FlmTrainer(b, cfg, { ...train, evalEvery: 0 }, { train: tokens, val: tokens });
}

/**
 * Median milliseconds of a whole training step (noise, forward, loss,
 * backward, grad norm, AdamW, EMA, loss readback) after a warm-up step: at
 * least `min` steps, then more for budgetMs, at most `max`.
 */
export async function trainStepMs(trainer: FlmTrainer, min: number, max: number, budgetMs: number): Promise<{ ms: number; steps: number }> {
  await trainer.trainStep();
  const steps: number[] = [];
  const t0 = performance.now();
  while (steps.length < min || (steps.length < max && performance.now() - t0 < budgetMs)) steps.push((await trainer.trainStep()).ms);
  return { ms: median(steps), steps: steps.length };
}

/** bench/results/<name>-<ISO time>.json: the default output of a run. */
export const resultsPath = (name: string): string => `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;

/** Write `data` as indented JSON, making the folder first. */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
