import { spawnSync } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { flmMeasured, QUICK, tinyCheckpoint, tinySetup } from './cli.ts';

/**
 * Issue 20, defect 3: every file the CLI reads is checked (a regular file,
 * its size) before it is read, and no more than the limit is read. A device,
 * a FIFO or a huge file as a corpus or a checkpoint fails in under 10 s with
 * bounded memory.
 */
const GIB = 2 ** 30;
const MAX_RSS = 400 * 2 ** 20;

/** A FIFO at `path`, or false where one cannot be made. */
function fifo(path: string): boolean {
  return spawnSync('mkfifo', [path]).status === 0;
}

/** A sparse file of `size` bytes starting with `head`. */
function sparse(path: string, size: number, head: Uint8Array = new Uint8Array(0)): string {
  writeFileSync(path, head);
  truncateSync(path, size);
  return path;
}

function expectQuickRefusal(r: ReturnType<typeof flmMeasured>, what: string, message: RegExp): void {
  expect(r.status, `${what}: ${r.stderr}${r.stdout}`).not.toBeNull(); // not killed at the timeout
  expect(r.status, what).not.toBe(0);
  expect(r.cpuSeconds, what).toBeLessThan(10); // the wall time too, on a machine of its own
  expect(r.maxRss, what).toBeLessThan(MAX_RSS);
  expect(r.stderr + r.stdout, what).toMatch(message);
}

describe('bounded reads', () => {
  /** The corpus files, made in `p`. */
  function badCorpora(p: (x: string) => string): [string, string, RegExp][] {
    const cases: [string, string, RegExp][] = [
      ['/dev/zero', '/dev/zero', /not a regular file/],
      ['300 MB', sparse(p('big.txt'), 300e6), /limit is 64\.0 MiB/],
      ['2 GiB − 1', sparse(p('huge.txt'), 2 * GIB - 1), /limit is 64\.0 MiB/],
    ];
    if (fifo(p('fifo.txt'))) cases.push(['FIFO', p('fifo.txt'), /not a regular file/]);
    else console.warn('skipped the FIFO case: mkfifo failed');
    return cases;
  }

  it('corpus of a new run: /dev/zero, a FIFO, 300 MB and 2 GiB − 1 files are refused before they are read', async () => {
    const { p } = await tinySetup('bounded-corpus');
    for (const [what, path, message] of badCorpora(p)) {
      expectQuickRefusal(flmMeasured(['train', '--corpus', path, '--out', p('o.safetensors'), ...QUICK, '--steps', '1']), `train ${what}`, message);
    }
  });

  it('corpus of a resume: the same', async () => {
    const { p, model } = await tinySetup('bounded-corpus-resume');
    for (const [what, path, message] of badCorpora(p)) {
      expectQuickRefusal(flmMeasured(['train', '--corpus', path, '--resume', model, '--out', p('o.safetensors'), ...QUICK, '--steps', '1']), `resume ${what}`, message);
    }
  });

  /** The damaged model files, made in `p`. */
  function damagedModels(p: (x: string) => string): [string, string, RegExp][] {
    const header = new Uint8Array(8);
    new DataView(header.buffer).setUint32(0, 600e6, true);
    const good = encodeCheckpoint(tinyCheckpoint('flm'));
    const cases: [string, string, RegExp][] = [
      ['/dev/zero', '/dev/zero', /not a regular file/],
      ['600 MB header', sparse(p('header.safetensors'), 600e6 + 100, header), /header claims 600000000 bytes, more than the 100 MB/],
      ['2 GiB − 1 of zeros', sparse(p('zeros.safetensors'), 2 * GIB - 1), /not a readable \.safetensors|header/],
      ['2 GiB − 1 behind a valid header', sparse(p('trailing.safetensors'), 2 * GIB - 1, good), /trailing|describes/],
      ['2 GiB + 1', sparse(p('over.safetensors'), 2 * GIB + 1, good), /more than the 2048 MB/],
    ];
    if (fifo(p('fifo.safetensors'))) cases.push(['FIFO', p('fifo.safetensors'), /not a regular file/]);
    else console.warn('skipped the FIFO case: mkfifo failed');
    return cases;
  }

  it('checkpoint (inspect): /dev/zero, a FIFO, a 600 MB header, 2 GiB ± 1 files are refused before they are read', async () => {
    const { p } = await tinySetup('bounded-ckpt');
    for (const [what, path, message] of damagedModels(p)) {
      const r = flmMeasured(['inspect', path]);
      expectQuickRefusal(r, `inspect ${what}`, message);
      expect(r.status, what).toBe(2);
    }
  });

  it('checkpoint (sample, train --resume, distill --teacher): the same bounded open', async () => {
    const { p, corpus } = await tinySetup('bounded-ckpt-readers');
    for (const [what, path, message] of damagedModels(p).filter(([w]) => w === 'FIFO' || w.startsWith('2 GiB − 1 behind'))) {
      expectQuickRefusal(flmMeasured(['sample', '--checkpoint', path, '--steps', '1', '--backend', 'cpu']), `sample ${what}`, message);
      expectQuickRefusal(flmMeasured(['train', '--corpus', corpus, '--resume', path, '--out', p('o.safetensors'), ...QUICK, '--steps', '1']), `resume ${what}`, message);
      expectQuickRefusal(flmMeasured(['distill', '--stage', '1', '--teacher', path, '--corpus', corpus, '--out', p('g.safetensors'), ...QUICK, '--steps', '1']), `teacher ${what}`, message);
    }
  });

  it('a FIFO with a writer that never stops is not read either', async () => {
    const { p } = await tinySetup('bounded-fifo');
    const path = p('fifo.txt');
    if (!fifo(path)) return void console.warn('skipped: mkfifo failed');
    // Keep a writer end open (non-blocking open for writing fails without a reader, so open read-write).
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, 'the cat sat on the mat\n'.repeat(100));
      expectQuickRefusal(flmMeasured(['train', '--corpus', path, '--out', p('o.safetensors'), ...QUICK, '--steps', '1']), 'FIFO with a writer', /not a regular file/);
    } finally {
      closeSync(fd);
    }
  });
});
