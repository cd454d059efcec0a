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
/** The references a crafted checkpoint may carry, to a valid text file in a fresh folder. */
async function crafted(tag: string) {
  const setup = await tinySetup(tag);
  const { p } = setup;
  const secret = p('secret.txt');
  writeFileSync(secret, TINY_TEXT);
  const refs: [string, CorpusRef, RegExp][] = [
    ['a text corpus named by its absolute path', { kind: 'text', name: secret }, /trained on its own text .*give --corpus/],
    ['a text corpus named by a relative path', { kind: 'text', name: relative(root, secret) }, /trained on its own text .*give --corpus/],
    ['a bundled id that climbs out of the corpus folder', { kind: 'bundled', id: relative(join(root, 'public/corpus'), p('secret')) }, /not a bundled corpus/],
    ['a bundled id that is an absolute path', { kind: 'bundled', id: p('secret') }, /not a bundled corpus/],
  ];
  return { ...setup, refs };
}

describe('metadata never names a file to read', () => {
  it('distill refuses a corpus named by its teacher unless it is a bundled id; --corpus works', async () => {
    const { p, corpus, refs } = await crafted('meta-paths');
    const out = p('out.safetensors'), teacher = p('teacher.safetensors');
    for (const [what, ref, message] of refs) {
      writeFileSync(teacher, encodeCheckpoint(tinyCheckpoint('flm', { meta: { data: { corpus: ref } } })));
      const d = flm(['distill', '--stage', '1', '--teacher', teacher, '--out', out, ...QUICK, '--steps', '1', '--batch', '2']);
      expect(d.status, `distill, ${what}: ${d.stderr}`).toBe(2);
      expect(d.stderr, what).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    // With --corpus on the command line, the same teacher works.
    const ok = flm(['distill', '--stage', '1', '--teacher', teacher, '--corpus', corpus, '--out', out, ...QUICK, '--steps', '1', '--batch', '2']);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('eval refuses a corpus named by its judge unless it is a bundled id', async () => {
    const { p, model, refs } = await crafted('meta-paths-eval');
    const judge = p('judge.safetensors');
    for (const [what, ref, message] of refs) {
      writeFileSync(judge, encodeCheckpoint(tinyCheckpoint('judge', { meta: { data: { corpus: ref } } })));
      const e = flm(['eval', '--models', model, '--judge', judge, '--samples', '1', '--steps-flm', '1', '--backend', 'cpu', '--out', p('eval')]);
      expect(e.status, `eval, ${what}: ${e.stderr}`).toBe(2);
      expect(e.stderr, what).toMatch(message);
    }
  });
});
