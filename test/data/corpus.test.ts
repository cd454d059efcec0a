import { describe, it, expect } from 'vitest';
import { checkSameCorpus, corpusDigest, CorpusError, decodeCorpusBytes, splitTrainVal, validateCorpusText, type CorpusErrorCode } from '../../src/data/corpus.ts';

function codeOf(f: () => unknown): CorpusErrorCode | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CorpusError);
    expect((e as Error).message.length).toBeGreaterThan(10);
    return (e as CorpusError).code;
  }
  return undefined;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('validateCorpusText', () => {
  it('accepts ordinary text', () => {
    expect(() => validateCorpusText('Some text.\n')).not.toThrow();
  });
  it('rejects empty, whitespace-only, too short and too long text', () => {
    expect(codeOf(() => validateCorpusText(''))).toBe('empty');
    expect(codeOf(() => validateCorpusText(' \n\t\r\n  '))).toBe('whitespace');
    expect(codeOf(() => validateCorpusText('short', { minChars: 100 }))).toBe('too-short');
    expect(codeOf(() => validateCorpusText('long enough', { maxChars: 5 }))).toBe('too-large');
    expect(codeOf(() => validateCorpusText('x'.repeat(100), { minChars: 100 }))).toBeUndefined();
  });
});

describe('decodeCorpusBytes', () => {
  it('decodes UTF-8, strips a BOM and normalises line endings', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('line 1\r\nline 2\rline 3\nnaïve 🙂')]);
    expect(decodeCorpusBytes(bytes)).toBe('line 1\nline 2\nline 3\nnaïve 🙂');
  });
  it('rejects empty and whitespace-only files', () => {
    expect(codeOf(() => decodeCorpusBytes(new Uint8Array(0)))).toBe('empty');
    expect(codeOf(() => decodeCorpusBytes(utf8('\r\n \n')))).toBe('whitespace');
  });
  it('rejects NUL bytes as binary', () => {
    expect(codeOf(() => decodeCorpusBytes(new Uint8Array([0x61, 0x62, 0x00, 0x63])))).toBe('binary');
  });
  it('rejects invalid UTF-8 as binary', () => {
    expect(codeOf(() => decodeCorpusBytes(new Uint8Array([0x61, 0xff, 0xfe, 0x62])))).toBe('binary');
    // Latin-1 "café"
    expect(codeOf(() => decodeCorpusBytes(new Uint8Array([0x63, 0x61, 0x66, 0xe9])))).toBe('binary');
    // truncated multi-byte sequence
    expect(codeOf(() => decodeCorpusBytes(new Uint8Array([0x61, 0xf0, 0x9f, 0x99])))).toBe('binary');
  });
  it('rejects files over the size limit', () => {
    expect(codeOf(() => decodeCorpusBytes(utf8('x'.repeat(2000)), 1024))).toBe('too-large');
    expect(decodeCorpusBytes(utf8('x'.repeat(1024)), 1024).length).toBe(1024);
  });
});

describe('splitTrainVal', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line number ${i} ${'ab'.repeat(i % 17)}`);
  const text = lines.join('\n') + '\n';

  it('takes the last ~5% as validation, cut at a line boundary', () => {
    const { train, val } = splitTrainVal(text);
    expect(train + val).toBe(text);
    expect(train.endsWith('\n')).toBe(true);
    expect(val.startsWith('line number')).toBe(true);
    expect(val.length / text.length).toBeGreaterThan(0.03);
    expect(val.length / text.length).toBeLessThan(0.07);
  });

  it('is deterministic', () => {
    const a = splitTrainVal(text);
    const b = splitTrainVal(text.slice());
    expect(a).toEqual(b);
    const c = splitTrainVal(text, 0.2);
    expect(c.train + c.val).toBe(text);
    expect(c.val.length / text.length).toBeCloseTo(0.2, 1);
    expect(c.train.endsWith('\n')).toBe(true);
  });

  it('still splits text without line breaks, never inside a surrogate pair', () => {
    const s = '🙂'.repeat(50);
    const { train, val } = splitTrainVal(s);
    expect(train + val).toBe(s);
    expect(val.length).toBeGreaterThan(0);
    expect(train.length % 2).toBe(0);
    const plain = 'x'.repeat(1000);
    expect(splitTrainVal(plain).val.length).toBe(50);
  });
});

describe('corpus digest', () => {
  it('is the SHA-256 of the UTF-8 text, and a different text is refused on resume', async () => {
    expect(await corpusDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const d = await corpusDigest('héllo\n');
    expect(() => checkSameCorpus(d, d, 'x')).not.toThrow();
    expect(() => checkSameCorpus(undefined, d, 'x')).not.toThrow(); // checkpoints from before digests
    expect(() => checkSameCorpus(d, 'f'.repeat(64), '"mine.txt"')).toThrow(/"mine.txt" is not the text this checkpoint was trained on/);
  });
});
