import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { flm, tinyCheckpoint, tinySetup, TINY_TOKENIZER } from './cli.ts';

/**
 * Issue 20, defect 11: `flm eval`'s sample cache (<out>/samples/*.json) is
 * written atomically and checked when read. A damaged entry (truncated, not
 * JSON, the wrong shape, token ids outside the vocabulary) is named on stderr
 * and sampled again, so the results are those of a fresh run.
 */
describe('the eval sample cache', () => {
  it('a truncated or out-of-range cache file is named, ignored and rebuilt: the same results as a fresh run', async () => {
    const { p, model, corpus } = await tinySetup('cache');
    const judge = p('judge.safetensors');
    writeFileSync(judge, encodeCheckpoint(tinyCheckpoint('judge')));
    const run = () => flm(['eval', '--models', model, '--judge', judge, '--samples', '2', '--batch', '2', '--steps-flm', '1',
      '--corpus', corpus, '--backend', 'cpu', '--out', p('out')]);
    const rows = (r: ReturnType<typeof run>) => JSON.parse(readFileSync(r.stdout.trim().split('\n').pop()!, 'utf8')).rows;
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const dir = p('out/samples');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1); // no temporary file left behind
    const file = join(dir, files[0]);
    const good = readFileSync(file, 'utf8');
    const cached = JSON.parse(good) as { tokens: number[]; ms: number };

    const damage: [string, string][] = [
      ['truncated', good.slice(0, Math.floor(good.length / 2))],
      ['empty', ''],
      ['not an object', '[1, 2, 3]'],
      ['too few tokens', JSON.stringify({ ...cached, tokens: cached.tokens.slice(1) })],
      ['a token id outside the vocabulary', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 5 ? TINY_TOKENIZER.vocabSize + 3 : t)) })],
      ['a negative token id', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 0 ? -1 : t)) })],
      ['a fractional token id', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 0 ? 1.5 : t)) })],
      ['a time that is not a number', JSON.stringify({ ...cached, ms: 'fast' })],
    ];
    for (const [what, text] of damage) {
      writeFileSync(file, text);
      const r = run();
      expect(r.status, `${what}: ${r.stderr}`).toBe(0);
      expect(r.stderr, what).toContain(file);
      expect(rows(r).map((x: { gen_ppl: number }) => x.gen_ppl), what).toEqual(rows(first).map((x: { gen_ppl: number }) => x.gen_ppl));
      // rebuilt: the file is whole again
      expect(JSON.parse(readFileSync(file, 'utf8')).tokens, what).toEqual(cached.tokens);
      expect(readdirSync(dir), what).toEqual(files);
    }
  });
});
