import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // WebGPU on SwiftShader is slow; pipelines compile in 0.1–0.4 s each.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Dawn's Node bindings are not happy with several devices racing in worker
    // threads; forks isolate them and keep the 2-core machine predictable.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
