import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/io/checkpoint.ts';
import type { CorpusRef } from '../../src/io/meta.ts';
import { flm, QUICK, root, TINY_TEXT, tinyCheckpoint, tinySetup } from './cli.ts';

/**
 * Issue 20, defect 10: a crafted checkpoint could make `flm distill` read any
 * local file (its corpus "name" was opened as a path). Data sources come from
 * the command line; from a file's metadata only a bundled corpus id is
 * followed, and only when it is one.
 *
 * The "secret" file here is valid training text, so a CLI that opened it
 * would train on it and exit 0: refusal proves it was not used.
 */
describe('metadata never names a file to read', () => {
  it('distill and eval refuse a corpus named by the teacher or judge unless it is a bundled id', async () => {
    const { p, corpus } = await tinySetup('meta-paths');
    const secret = p('secret.txt');
    writeFileSync(secret, TINY_TEXT);
    const refs: [string, CorpusRef, RegExp][] = [
      ['a text corpus named by its absolute path', { kind: 'text', name: secret }, /trained on its own text .*give --corpus/],
      ['a text corpus named by a relative path', { kind: 'text', name: relative(root, secret) }, /trained on its own text .*give --corpus/],
      ['a bundled id that climbs out of the corpus folder', { kind: 'bundled', id: relative(join(root, 'public/corpus'), p('secret')) }, /not a bundled corpus/],
      ['a bundled id that is an absolute path', { kind: 'bundled', id: p('secret') }, /not a bundled corpus/],
    ];
    const judge = p('judge.safetensors');
    const out = p('out.safetensors');
    for (const [what, ref, message] of refs) {
      const teacher = p('teacher.safetensors');
      writeFileSync(teacher, encodeCheckpoint(tinyCheckpoint('flm', { meta: { data: { corpus: ref } } })));
      const d = flm(['distill', '--stage', '1', '--teacher', teacher, '--out', out, ...QUICK, '--steps', '1', '--batch', '2']);
      expect(d.status, `distill, ${what}: ${d.stderr}`).toBe(2);
      expect(d.stderr, what).toMatch(message);
      expect(existsSync(out)).toBe(false);

      writeFileSync(judge, encodeCheckpoint(tinyCheckpoint('judge', { meta: { data: { corpus: ref } } })));
      const e = flm(['eval', '--models', teacher, '--judge', judge, '--samples', '1', '--steps-flm', '1', '--backend', 'cpu', '--out', p('eval')]);
      expect(e.status, `eval, ${what}: ${e.stderr}`).toBe(2);
      expect(e.stderr, what).toMatch(message);
    }
    // With --corpus on the command line, the same files work.
    const teacher = p('teacher.safetensors');
    const ok = flm(['distill', '--stage', '1', '--teacher', teacher, '--corpus', corpus, '--out', out, ...QUICK, '--steps', '1', '--batch', '2']);
    expect(ok.status, ok.stderr).toBe(0);
  });
});
