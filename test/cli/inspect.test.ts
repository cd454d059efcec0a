import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
const fixture = (name: string) => join(root, 'test/fixtures/official-dit', name);

describe('npm run flm -- inspect', () => {
  it('summarises a checkpoint', () => {
    const r = flm(['inspect', fixture('checkpoint_flowmap.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind fmlm');
    expect(r.stdout).toContain('V 37, L 24, D 64, 4 heads, 2 blocks, C 32, two-time, loss weighting');
  });

  it('prints the reason for a damaged file on one line and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-inspect-'));
    const bytes = readFileSync(fixture('checkpoint_flm.safetensors'));
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, 1000));
    const r = flm(['inspect', truncated]);
    expect(r.status).toBe(2);
    expect(r.stdout.trim().split('\n').length).toBe(1);
    expect(r.stdout).toMatch(/truncated|header/);
    const missing = flm(['inspect', join(dir, 'nope.safetensors')]);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toContain('cannot read');
  });
});
