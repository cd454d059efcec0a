import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { fixtureBytes } from '../helpers.ts';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/official-dit');

function flm(args: string[]) {
  return spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
}

describe('npm run flm -- parity', () => {
  it('passes on the official fixtures (CPU) and ends with one JSON line', () => {
    const r = flm(['parity', fixtures, '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]);
    expect(summary.backend).toBe('cpu');
    // 3 DiT fixtures, the time map, the Euler sampler, both distillation stages and both flow-map samplers
    expect(summary.files).toBe(9);
    expect(summary.pass).toBe(true);
    expect(summary.max_rel_err.logits).toBeLessThanOrEqual(1e-5);
    expect(summary.max_rel_err.grads).toBeLessThanOrEqual(1e-4);
    expect(summary.max_rel_err.time_map).toBeLessThanOrEqual(1e-6);
    expect(r.stdout).toContain('grads');
    expect(r.stdout).toMatch(/distill_stage1\.safetensors +\| max over 42 student grads/);
    expect(r.stdout).toMatch(/distill_stage2\.safetensors +\| max over 34 student grads/);
    expect(r.stdout).toContain('sampler_two_network.safetensors   | two-network step 0→1 state');
    expect(r.stdout).toContain('sampler_flowmap.safetensors       | one step: softmax δ(z0, 0, 1)');
    expect(r.stdout).not.toContain('not recognised');
  });

  it('exits 1 when a golden value disagrees', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-parity-'));
    const f = readSafetensors(fixtureBytes('dit_flm.safetensors'));
    const g = f.tensors.get('grad.blocks.1.attn_qkv.weight')!;
    (g.data as Float64Array)[5] += 1;
    writeFileSync(join(dir, 'dit_flm.safetensors'), writeSafetensors(f.tensors, f.metadata));
    const r = flm(['parity', dir, '--backend', 'cpu']);
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.pass).toBe(false);
    expect(r.stdout).toContain('grad.blocks.1.attn_qkv.weight');
  });

  it('exits 2 with a usage message for a bad backend', () => {
    const r = flm(['parity', fixtures, '--backend', 'tpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--backend must be auto or webgpu or wasm or cpu');
  });

  it('runs through npm as documented', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-parity-'));
    copyFileSync(join(fixtures, 'time_map.json'), join(dir, 'time_map.json'));
    const out = execFileSync('npm', ['run', '--silent', 'flm', '--', 'parity', dir], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!).pass).toBe(true);
  });
});

describe('npm run flm -- parity: the Euler sampler fixture', () => {
  it('checks sampler_euler_flm step by step and its tokens (CPU and WebGPU)', () => {
    for (const backend of ['cpu', 'webgpu']) {
      const r = flm(['parity', fixtures, '--backend', backend]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('sampler_euler_flm.safetensors     | Euler step 3→4 state');
      expect(r.stdout).toMatch(/tokens \((\d+)\/\1 equal/);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(summary.max_rel_err.sampler).toBeLessThanOrEqual(backend === 'cpu' ? 1e-5 : 1e-4);
      expect(summary.max_rel_err.sampler).toBeGreaterThan(0);
    }
  });
});
