import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// End-to-end tests: build the studio, serve the production build on
// 127.0.0.1 and drive Debian's Chromium (WebGPU on SwiftShader) with Playwright.
export default defineConfig({
  // The repository root, also when this file is a project of ../vitest.config.ts.
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    name: 'e2e',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
