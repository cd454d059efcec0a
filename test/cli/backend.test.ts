import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const ckpt = 'test/fixtures/official-dit/checkpoint_flm.safetensors';
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
const summary = (r: ReturnType<typeof flm>) => JSON.parse(r.stdout.trim().split('\n').pop()!) as { backend: string; tokens: number[][] };

describe('flm --backend auto (the default) and --threads', () => {
  it('runs on WebAssembly where WebGPU is a CPU emulation, says why, and gives the bits of one thread', () => {
    const auto = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '5', '--count', '2']);
    expect(auto.status, auto.stderr).toBe(0);
    // This machine has no GPU: Dawn's adapter is SwiftShader.
    expect(auto.stderr).toMatch(/backend auto: WebAssembly, since the WebGPU adapter \(.*swiftshader.*\) emulates a GPU on the CPU/i);
    expect(summary(auto).backend).toBe('wasm');
    const one = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '5', '--count', '2', '--backend', 'wasm', '--threads', '1']);
    const three = flm(['sample', '--checkpoint', ckpt, '--steps', '4', '--seed', '5', '--count', '2', '--backend', 'wasm', '--threads', '3']);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr).not.toContain('backend auto');
    expect(summary(one).tokens).toEqual(summary(auto).tokens);
    expect(summary(three).tokens).toEqual(summary(auto).tokens);
  });

  it('refuses threads for backends without them, and thread counts out of range', () => {
    const cpu = flm(['sample', '--checkpoint', ckpt, '--steps', '1', '--backend', 'cpu', '--threads', '2']);
    expect(cpu.status).toBe(2);
    expect(cpu.stderr).toContain('--threads goes with --backend wasm or auto, not cpu');
    const zero = flm(['train', '--steps', '1', '--out', '/tmp/never.safetensors', '--threads', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--threads must be a whole number from 1 to 256, not 0');
  });
});
