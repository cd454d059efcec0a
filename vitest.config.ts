import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import e2e from './e2e/vitest.config.ts';

/**
 * Three projects:
 * - `cpu`: the quick tests (reference kernels, formats, data, CLI on the CPU
 *   backend, UI reducers, layer rules): `npm run test:cpu`;
 * - `gpu`: every test file that takes a WebGPU backend from test/gpu.ts (Dawn
 *   in Node; SwiftShader without a GPU, slow): `npm run test:gpu`;
 * - `e2e`: the studio in headless Chromium (e2e/vitest.config.ts): `npm run test:e2e`.
 * `npm test` runs all three, in that order.
 */
const testFiles = (readdirSync('test', { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f.replaceAll('\\', '/')}`);
const usesGpu = (file: string) => /from '(\.\.\/)+gpu\.ts'/.test(readFileSync(file, 'utf8'));
const gpuFiles = testFiles.filter(usesGpu);
const cpuFiles = testFiles.filter((f) => !usesGpu(f));

export default defineConfig({
  test: {
    // WebGPU on SwiftShader is slow (pipelines compile in 0.1–0.4 s each),
    // and CLI tests spawn Node processes: generous limits for a loaded 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Dawn's Node bindings are not happy with several devices racing in worker
    // threads; forks isolate them and keep the 2-core machine predictable.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'cpu', include: cpuFiles } },
      { extends: true, test: { name: 'gpu', include: gpuFiles } },
      e2e,
    ],
  },
});
