import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The committed binary (src/engine/wasm/kernelsWasm.ts) is what the
 * AssemblyScript sources compile to: rebuild with the pinned asc and compare
 * byte for byte. On failure: npm run build:wasm.
 */
describe('wasm kernels build', () => {
  it('kernelsWasm.ts matches src/engine/wasm/assembly/*.ts', () => {
    const script = fileURLToPath(new URL('../../../src/engine/wasm/assembly/build.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(out).toContain('matches');
  });
});
