/**
 * The largest values the `flm` options take: beyond them a run would never
 * end, or a number would lose its integer precision. (The batch a memory
 * budget allows is checked against the model, in checks.ts.)
 */
export const OPTION_LIMITS = {
  steps: 1e9, seed: 2 ** 32 - 1, batch: 1_000_000, warmup: 1e9, every: 1e9, evalBatches: 10_000,
  sampleSteps: 1_000_000, count: 4096, k: 1_000_000, samples: 1_000_000, evalSteps: 1024, evalBatch: 64,
  threads: 256,
} as const;
