// Node ESM hook registration: lets `import src from '.../x.wgsl?raw'` work in
// Node (CLI, bench) exactly as it does under Vite and Vitest.
import { register } from 'node:module';
register('./wgsl-hooks.mjs', import.meta.url);
