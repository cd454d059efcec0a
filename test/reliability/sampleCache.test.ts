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
/** An eval of the tiny FLM, its cache file and what a fresh run gives. */
async function evalOnce(tag: string) {
  const { p, model, corpus } = await tinySetup(tag);
  const judge = p('judge.safetensors');
  writeFileSync(judge, encodeCheckpoint(tinyCheckpoint('judge')));
  const run = () => flm(['eval', '--models', model, '--judge', judge, '--samples', '2', '--batch', '2', '--steps-flm', '1',
    '--corpus', corpus, '--backend', 'cpu', '--out', p('out')]);
  const pplOf = (r: ReturnType<typeof run>) => JSON.parse(readFileSync(r.stdout.trim().split('\n').pop()!, 'utf8')).rows.map((x: { gen_ppl: number }) => x.gen_ppl);
  const first = run();
  expect(first.status, first.stderr).toBe(0);
  const dir = p('out/samples');
  const files = readdirSync(dir);
  expect(files).toHaveLength(1); // no temporary file left behind
  const file = join(dir, files[0]);
  const good = readFileSync(file, 'utf8');
  const cached = JSON.parse(good) as { tokens: number[]; ms: number };
  /** Damage the entry, run again: the file named, the same results, the entry whole again. */
  const check = (what: string, text: string) => {
    writeFileSync(file, text);
    const r = run();
    expect(r.status, `${what}: ${r.stderr}`).toBe(0);
    expect(r.stderr, what).toContain(file);
    expect(pplOf(r), what).toEqual(pplOf(first));
    expect(JSON.parse(readFileSync(file, 'utf8')).tokens, what).toEqual(cached.tokens);
    expect(readdirSync(dir), what).toEqual(files);
  };
  return { good, cached, check };
}

describe('the eval sample cache', () => {
  it('a truncated, empty or misshapen cache file is named, ignored and rebuilt: the same results as a fresh run', async () => {
    const { good, cached, check } = await evalOnce('cache');
    check('truncated', good.slice(0, Math.floor(good.length / 2)));
    check('empty', '');
    check('not an object', '[1, 2, 3]');
    check('too few tokens', JSON.stringify({ ...cached, tokens: cached.tokens.slice(1) }));
  });

  it('token ids outside the vocabulary (too large, negative, fractional) and a time that is no number: the same', async () => {
    const { cached, check } = await evalOnce('cache-ids');
    check('a token id outside the vocabulary', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 5 ? TINY_TOKENIZER.vocabSize + 3 : t)) }));
    check('a negative token id', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 0 ? -1 : t)) }));
    check('a fractional token id', JSON.stringify({ ...cached, tokens: cached.tokens.map((t, i) => (i === 0 ? 1.5 : t)) }));
    check('a time that is not a number', JSON.stringify({ ...cached, ms: 'fast' }));
  });
});
