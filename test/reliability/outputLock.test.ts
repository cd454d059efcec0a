import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { flm, flmAsync, QUICK, tinySetup, untilTraining } from './cli.ts';

/**
 * Issue 20, defect 2: two runs writing one `--out` both reported success and
 * the file flipped between them. A run holds `<out>.lock` (created
 * exclusively, holding its pid) from its start to its end; a second writer is
 * refused at start, before any work; a lock left by a dead process is stale
 * and taken over.
 */
describe('one writer per output file', () => {
  it('a second writer to a file in use is refused at start; the first finishes and releases the lock', async () => {
    const { p, model, corpus } = await tinySetup('lock');
    const x = p('X.safetensors');
    copyFileSync(model, x);
    // The first run: long enough to be running when the second starts.
    const a = flmAsync(['train', '--corpus', corpus, '--resume', x, '--out', x, ...QUICK, '--steps', '100000']);
    try {
      await untilTraining(a.stderr);
      for (const args of [
        ['train', '--corpus', corpus, '--resume', x, '--out', x, ...QUICK, '--steps', '1'],
        ['train', '--corpus', corpus, '--out', x, ...QUICK, '--steps', '1'],
        ['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--out', x, ...QUICK, '--steps', '1'],
        ['train-judge', '--corpus', corpus, '--out', x, ...QUICK, '--steps', '1'],
      ]) {
        const b = flm(args);
        expect(b.status, `${args[0]}: ${b.stderr}`).toBe(2);
        expect(b.stderr).toMatch(new RegExp(`${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is being written by another flm run \\(pid ${a.child.pid}\\)`));
      }
    } finally {
      a.child.kill('SIGTERM');
    }
    const end = await a.done;
    // SIGTERM: it saved after its current step and exited 143 (defect 7).
    expect(end.status, end.stderr).toBe(143);
    expect(existsSync(`${x}.lock`)).toBe(false);
    expect(decodeCheckpoint(new Uint8Array(readFileSync(x))).meta.step).toBeGreaterThan(0);
  });

  it('a lock held by a live process refuses; one left by a dead process is taken over and removed at the end', async () => {
    const { p, model, corpus } = await tinySetup('lock-stale');
    const x = p('X.safetensors');
    writeFileSync(`${x}.lock`, `${process.pid}\n`);
    const held = flm(['train', '--corpus', corpus, '--resume', model, '--out', x, ...QUICK, '--steps', '1']);
    expect(held.status).toBe(2);
    expect(held.stderr).toContain(`is being written by another flm run (pid ${process.pid})`);
    expect(existsSync(x)).toBe(false);
    expect(readFileSync(`${x}.lock`, 'utf8')).toBe(`${process.pid}\n`);

    const dead = spawnSync('node', ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(`${x}.lock`, dead.stdout);
    const stale = flm(['train', '--corpus', corpus, '--resume', model, '--out', x, ...QUICK, '--steps', '1']);
    expect(stale.status, stale.stderr).toBe(0);
    expect(existsSync(`${x}.lock`)).toBe(false);
    expect(existsSync(x)).toBe(true);

    // A damaged lock file (no pid) is stale too.
    writeFileSync(`${x}.lock`, 'garbage');
    expect(flm(['train', '--corpus', corpus, '--resume', model, '--out', x, ...QUICK, '--steps', '1']).status).toBe(0);
    expect(existsSync(`${x}.lock`)).toBe(false);
  });
});
