import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';

const root = new URL('../../', import.meta.url).pathname;
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

describe('npm run flm -- distill, and sampling what it makes', () => {
  it('stage 1, stage 2 (with resume), one-step FMLM samples, and the two-network sampler with --teacher', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-distill-'));
    const p = (x: string) => join(dir, x);
    const common = ['--backend', 'cpu', '--batch', '2', '--eval-every', '0'];
    const t = flm(['train', '--corpus', 'brown', '--preset', 'micro', ...common, '--steps', '2', '--out', p('f.safetensors')]);
    expect(t.status, t.stderr).toBe(0);

    const s1 = flm(['distill', '--stage', '1', '--teacher', p('f.safetensors'), ...common, '--steps', '2', '--out', p('g.safetensors')]);
    expect(s1.status, s1.stderr).toBe(0);
    const r1 = last(s1.stdout);
    expect(r1).toMatchObject({ stage: 1, steps: 2 });
    expect(Number.isFinite(r1.val_error)).toBe(true);
    const g = decodeCheckpoint(new Uint8Array(readFileSync(p('g.safetensors'))));
    expect(g.meta.kind).toBe('flowmap');
    expect(g.config.twoTime && g.config.lossWeighting).toBe(true);

    // stage 2 in two runs of 1 step = one run of 2 steps
    const s2 = (steps: string, out: string, extra: string[] = []) =>
      flm(['distill', '--stage', '2', '--teacher', p('f.safetensors'), '--teacher-g', p('g.safetensors'), ...common, '--steps', steps, '--out', p(out), ...extra]);
    const full = s2('2', 'd.safetensors');
    expect(full.status, full.stderr).toBe(0);
    expect(s2('1', 'd1.safetensors').status).toBe(0);
    const resumed = s2('1', 'd2.safetensors', ['--resume', p('d1.safetensors')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(last(resumed.stdout).last_loss).toBe(last(full.stdout).last_loss);
    const d = decodeCheckpoint(new Uint8Array(readFileSync(p('d2.safetensors'))));
    expect(d.meta.kind).toBe('fmlm');
    expect(d.ema).toEqual(decodeCheckpoint(new Uint8Array(readFileSync(p('d.safetensors')))).ema);

    // a resume with another teacher is refused
    const wrong = flm(['distill', '--stage', '2', '--teacher', p('f.safetensors'), '--teacher-g', p('d.safetensors'), ...common, '--steps', '1', '--resume', p('d1.safetensors'), '--out', p('x.safetensors')]);
    expect(wrong.status).not.toBe(0);

    const one = flm(['sample', '--checkpoint', p('d.safetensors'), '--steps', '1', '--seed', '3', '--count', '2', '--backend', 'cpu']);
    expect(one.status, one.stderr).toBe(0);
    expect(last(one.stdout).sampler).toBe('FMLM, one-network flow-map sampler');
    expect(last(one.stdout).tokens).toHaveLength(2);

    const noTeacher = flm(['sample', '--checkpoint', p('g.safetensors'), '--steps', '2', '--backend', 'cpu']);
    expect(noTeacher.status).not.toBe(0);
    expect(noTeacher.stderr).toContain('needs its FLM teacher');
    const two = flm(['sample', '--checkpoint', p('g.safetensors'), '--teacher', p('f.safetensors'), '--steps', '2', '--backend', 'cpu']);
    expect(two.status, two.stderr).toBe(0);
    expect(last(two.stdout).sampler).toContain('two-network');
  });

  it('says what is missing', () => {
    expect(flm(['distill', '--stage', '3']).stderr).toContain('--stage 1 or --stage 2');
    expect(flm(['distill', '--stage', '2', '--teacher', 'x']).stderr).toContain('--teacher-g');
  });
});
