import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { flm, flmAsync, QUICK, tinySetup, untilTraining } from './cli.ts';

/**
 * Issue 20, defect 7: an output that cannot be written is refused before any
 * training; a teacher is never its own output; leftovers of killed runs are
 * cleaned; SIGINT/SIGTERM stop after the current step, save and exit 130/143;
 * the output is never renamed over something that is not a regular file.
 */
const trained = (r: { stderr: string }) => /loss \d/.test(r.stderr);

describe('output paths', () => {
  /** Outputs that cannot be written, made in a fresh folder. */
  async function badOutputs(tag: string) {
    const { p, model, corpus } = await tinySetup(tag);
    mkdirSync(p('folder'));
    const outs: [string, string][] = [
      ['missing folder', p('missing/X.safetensors')],
      ['a folder', p('folder')],
      ['a folder with a slash', `${p('folder')}/`],
    ];
    if (spawnSync('mkfifo', [p('fifo')]).status === 0) outs.push(['a FIFO', p('fifo')]);
    // A device node of our own (as /dev/full: char 1,7), only as root.
    if (spawnSync('mknod', [p('full'), 'c', '1', '7']).status === 0) outs.push(['a character device', p('full')]);
    else console.warn('skipped the device case: mknod needs root');
    const unchanged = () => {
      expect(statSync(p('folder')).isDirectory()).toBe(true);
      if (existsSync(p('full'))) expect(statSync(p('full')).isCharacterDevice()).toBe(true);
      if (existsSync(p('fifo'))) expect(statSync(p('fifo')).isFIFO()).toBe(true);
    };
    return { model, corpus, outs, unchanged };
  }

  function refusedBeforeTraining(r: ReturnType<typeof flm>, what: string, out: string): void {
    expect(r.status, `${what}: ${r.stderr}`).toBe(2);
    expect(trained(r), what).toBe(false);
    expect(r.stderr).toContain(out.replace(/\/$/, ''));
  }

  it('train: --out in a missing folder, on a folder, or on a device/FIFO is refused before training (exit 2)', async () => {
    const { model, corpus, outs, unchanged } = await badOutputs('outpath');
    for (const [what, out] of outs) {
      refusedBeforeTraining(flm(['train', '--corpus', corpus, '--resume', model, '--out', out, ...QUICK, '--steps', '200']), what, out);
    }
    unchanged();
  });

  it('distill: the same outputs are refused before training (exit 2)', async () => {
    const { model, corpus, outs, unchanged } = await badOutputs('outpath-distill');
    for (const [what, out] of outs) {
      refusedBeforeTraining(flm(['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--out', out, ...QUICK, '--steps', '200']), what, out);
    }
    unchanged();
  });

  it('a teacher (or --like) is never the output, however the path is spelled', async () => {
    const { p, dir, model, corpus } = await tinySetup('outpath-teacher');
    const before = readFileSync(model);
    symlinkSync(model, p('link.safetensors'));
    const spellings = [model, `${dir}/./${basename(model)}`, p('link.safetensors')];
    for (const out of spellings) {
      const r = flm(['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--out', out, ...QUICK, '--steps', '1']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is the teacher/);
    }
    const g = flm(['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--out', p('g.safetensors'), ...QUICK, '--batch', '2', '--steps', '1']);
    expect(g.status, g.stderr).toBe(0);
    const s2 = flm(['distill', '--stage', '2', '--teacher', model, '--teacher-g', p('g.safetensors'), '--corpus', corpus, '--out', p('g.safetensors'), ...QUICK, '--steps', '1']);
    expect(s2.status).toBe(2);
    expect(s2.stderr).toMatch(/is the stage-1 teacher/);
    const like = flm(['train-judge', '--corpus', corpus, '--like', model, '--out', model, ...QUICK, '--steps', '1']);
    expect(like.status).toBe(2);
    expect(like.stderr).toMatch(/is the --like model/);
    expect(readFileSync(model).equals(before)).toBe(true);
  });

  it('orphaned temporary files of dead runs are removed at start; those of live ones are kept', async () => {
    const { p, model, corpus } = await tinySetup('outpath-tmp');
    const x = p('X.safetensors');
    const dead = Number(spawnSync('node', ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout);
    writeFileSync(`${x}.tmp-${dead}`, 'half a checkpoint');
    writeFileSync(`${x}.tmp-${process.pid}`, 'being written by a live process');
    writeFileSync(p('other.safetensors.tmp-1'), 'not ours');
    const r = flm(['train', '--corpus', corpus, '--resume', model, '--out', x, ...QUICK, '--steps', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(p('.')).sort()).toEqual(['X.safetensors', `X.safetensors.tmp-${process.pid}`, 'corpus.txt', 'flm.safetensors', 'other.safetensors.tmp-1'].sort());
  });

  it('SIGINT stops after the current step, saves, exits 130 and leaves no lock or temporary file', async () => {
    const { p, model, corpus } = await tinySetup('outpath-sigint');
    for (const [signal, code, args] of [
      ['SIGINT', 130, ['--resume', model]],
      ['SIGTERM', 143, ['--resume', model, '--save-every', '1']],
    ] as const) {
      const x = p(`X-${signal}.safetensors`);
      const a = flmAsync(['train', '--corpus', corpus, ...args, '--out', x, ...QUICK, '--steps', '100000']);
      await untilTraining(a.stderr);
      await new Promise((r) => setTimeout(r, 300));
      a.child.kill(signal);
      const end = await a.done;
      expect(end.status, end.stderr).toBe(code);
      expect(end.stderr).toMatch(new RegExp(`interrupted by ${signal} at step \\d+; saved`));
      const saved = decodeCheckpoint(new Uint8Array(readFileSync(x)));
      expect(saved.meta.step).toBeGreaterThan(0);
      expect(saved.meta.step).toBe(Number(new RegExp(`interrupted by ${signal} at step (\\d+)`).exec(end.stderr)![1]));
      expect(readdirSync(p('.')).filter((f) => f.startsWith(basename(x)))).toEqual([basename(x)]);
    }
  });
});
