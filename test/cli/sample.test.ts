import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const ckpt = 'test/fixtures/official-dit/checkpoint_flm.safetensors';
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
const tokens = (r: ReturnType<typeof flm>) => JSON.parse(r.stdout.trim().split('\n').pop()!).tokens as number[][];

describe('npm run flm -- sample', () => {
  it('is deterministic given checkpoint, seed and N, and the seed matters', () => {
    const a = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '5', '--count', '2', '--backend', 'cpu']);
    expect(a.status, a.stderr).toBe(0);
    const b = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '5', '--count', '2', '--backend', 'cpu']);
    const c = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '6', '--count', '2', '--backend', 'cpu']);
    expect(tokens(a)).toEqual(tokens(b));
    expect(tokens(a)).not.toEqual(tokens(c));
    expect(tokens(a).length).toBe(2);
    expect(tokens(a)[0].length).toBe(24);
    expect(a.stdout).toContain('--- sample 1');
  });

  it('refuses bad arguments with a usage message', () => {
    const r = flm(['sample', '--checkpoint', ckpt, '--steps', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--steps');
  });
});
