import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Batcher, evalBatches } from '../../src/data/batcher.ts';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { CorpusError, decodeCorpusBytes, splitTrainVal } from '../../src/data/corpus.ts';
import { unigramEntropy } from '../../src/data/unigram.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as CorpusError).code; } return 'no error'; };

describe('corpus input', () => {
  it('refuses empty, whitespace-only, binary, invalid UTF-8 and oversize input with a reason', () => {
    expect(code(() => decodeCorpusBytes(enc('')))).toBe('empty');
    expect(code(() => decodeCorpusBytes(enc(' \n\t ')))).toBe('whitespace');
    expect(code(() => decodeCorpusBytes(new Uint8Array([104, 105, 0, 33])))).toBe('binary');
    expect(code(() => decodeCorpusBytes(new Uint8Array([104, 0xc3, 0x28])))).toBe('binary');
    expect(code(() => decodeCorpusBytes(enc('hello'), 3))).toBe('too-large');
    expect(decodeCorpusBytes(enc('a\r\nb'))).toBe('a\nb');
  });
  it('splits deterministically at a line boundary', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const a = splitTrainVal(text), b = splitTrainVal(text);
    expect(a).toEqual(b);
    expect(a.train + a.val).toBe(text);
    expect(a.train.endsWith('\n')).toBe(true);
    expect(a.val.length).toBeGreaterThan(0);
  });
});

describe('character tokenizer', () => {
  it('round-trips text, including characters outside the BMP', () => {
    const text = 'Héllo, wörld! 🙂 ok';
    const tok = CharTokenizer.fromText(text);
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode('🙂').length).toBe(1);
    expect(CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON()))).encode(text)).toEqual(tok.encode(text));
  });
  it('maps unseen characters to <unk> (id 0) and limits the vocabulary', () => {
    const tok = CharTokenizer.fromText('abc');
    expect([...tok.encode('abz')]).toEqual([1, 2, 0]);
    expect(code(() => CharTokenizer.fromText('abcdef', { maxVocab: 4 }))).toBe('vocab-too-large');
  });
});

describe('batcher', () => {
  const tokens = Uint32Array.from({ length: 1000 }, (_, i) => i);
  it('is deterministic, covers every window per epoch, and resumes exactly across epochs', () => {
    const a = new Batcher(tokens, 10, 7, 42), b = new Batcher(tokens, 10, 7, 42);
    const seen = new Set<number>();
    for (let i = 0; i < 14; i++) {
      const x = a.next();
      expect(x).toEqual(b.next());
      for (let r = 0; r < 7; r++) { expect(x[r * 10] % 10).toBe(0); if (i * 7 + r < 100) seen.add(x[r * 10]); }
    }
    expect(seen.size).toBe(98);
    const state = a.state();
    const resumed = new Batcher(tokens, 10, 7, 42, JSON.parse(JSON.stringify(state)));
    for (let i = 0; i < 20; i++) expect(resumed.next()).toEqual(a.next());
    expect(new Batcher(tokens, 10, 7, 43).next()).not.toEqual(new Batcher(tokens, 10, 7, 42).next());
  });
  it('refuses a stream shorter than one sequence; validation batches are fixed', () => {
    expect(code(() => new Batcher(new Uint32Array(5), 10, 2, 0))).toBe('too-short');
    const v = evalBatches(tokens, 10, 4, 3);
    expect(v.length).toBe(3);
    expect([...v[0].subarray(0, 3)]).toEqual([0, 1, 2]);
  });
});

describe('bundled corpus', () => {
  it('is plain English text of at least 1 MB with a small character vocabulary', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../public/corpus/brown.txt', import.meta.url)));
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const text = decodeCorpusBytes(bytes);
    expect(text).not.toMatch(/\/(at|nn|np|vbd|in)\b/);
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBeLessThan(128);
    const h = unigramEntropy(tok.encode(text), tok.vocabSize);
    expect(h).toBeGreaterThan(2.5);
    expect(h).toBeLessThan(3.6);
  });
});
