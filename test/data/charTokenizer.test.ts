import { describe, it, expect } from 'vitest';
import { CharTokenizer, UNK, type CharTokenizerJSON } from '../../src/data/charTokenizer.ts';
import { CorpusError } from '../../src/data/corpus.ts';

describe('CharTokenizer', () => {
  it('round-trips ASCII text and sorts the vocabulary by code point', () => {
    const text = 'hello, world!\nthe quick brown fox';
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBe(new Set(text).size + 1);
    expect(tok.tokenString(0)).toBe('\ufffd');
    expect(tok.toJSON().vocab[0]).toBe(UNK);
    const chars = tok.toJSON().vocab.slice(1);
    expect(chars).toEqual([...chars].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
    const ids = tok.encode(text);
    expect(ids).toBeInstanceOf(Uint32Array);
    expect(ids.length).toBe(text.length);
    expect([...ids].every((i) => i > 0 && i < tok.vocabSize)).toBe(true);
    expect(tok.decode(ids)).toBe(text);
  });

  it('treats non-BMP characters (emoji) as one token each', () => {
    const text = 'a🙂b😀é漢字🙂\u{1F9EA}';
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBe(1 + new Set([...text]).size);
    const ids = tok.encode(text);
    expect(ids.length).toBe([...text].length);
    expect(tok.decode(ids)).toBe(text);
    const smile = tok.encode('🙂');
    expect(smile.length).toBe(1);
    expect(tok.tokenString(smile[0])).toBe('🙂');
    // non-BMP characters sort after BMP ones (by code point, not UTF-16 unit)
    const vocab = tok.toJSON().vocab;
    expect(vocab.indexOf('漢')).toBeLessThan(vocab.indexOf('🙂'));
  });

  it('encodes unknown characters as <unk> (id 0), decoded as U+FFFD', () => {
    const tok = CharTokenizer.fromText('abc');
    const ids = tok.encode('abzc🙂');
    expect([...ids]).toEqual([tok.encode('a')[0], tok.encode('b')[0], 0, tok.encode('c')[0], 0]);
    expect(tok.decode(ids)).toBe('ab\ufffdc\ufffd');
    expect(tok.decode([999, -1, 1.5])).toBe('\ufffd\ufffd\ufffd');
  });

  it('round-trips through JSON', () => {
    const tok = CharTokenizer.fromText('Zebra 🦓 crossing\n');
    const json = JSON.parse(JSON.stringify(tok.toJSON())) as CharTokenizerJSON;
    expect(json.type).toBe('char');
    const back = CharTokenizer.fromJSON(json);
    expect(back.vocabSize).toBe(tok.vocabSize);
    expect(back.toJSON()).toEqual(tok.toJSON());
    const s = 'crossing 🦓 Zebra';
    expect([...back.encode(s)]).toEqual([...tok.encode(s)]);
    expect(back.decode(tok.encode(s))).toBe(s);
  });

  it('rejects malformed JSON descriptions', () => {
    expect(() => CharTokenizer.fromJSON({ type: 'bpe', vocab: [] } as unknown as CharTokenizerJSON)).toThrow();
    expect(() => CharTokenizer.fromJSON({ type: 'char', vocab: ['a', 'b'] })).toThrow(/unk/);
    expect(() => CharTokenizer.fromJSON({ type: 'char', vocab: [UNK, 'ab'] })).toThrow(/single character/);
    expect(() => CharTokenizer.fromJSON({ type: 'char', vocab: [UNK, 'a', 'a'] })).toThrow(/repeats/);
  });

  it('limits the vocabulary size (including <unk>)', () => {
    let text = '';
    for (let i = 0; i < 600; i++) text += String.fromCodePoint(0x4e00 + i);
    try {
      CharTokenizer.fromText(text);
      expect.unreachable('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(CorpusError);
      expect((e as CorpusError).code).toBe('vocab-too-large');
      expect((e as CorpusError).message).toMatch(/600 different characters/);
    }
    expect(CharTokenizer.fromText(text.slice(0, 511)).vocabSize).toBe(512);
    expect(() => CharTokenizer.fromText(text.slice(0, 512))).toThrow(CorpusError);
    expect(() => CharTokenizer.fromText('abcd', { maxVocab: 4 })).toThrow(CorpusError);
    expect(CharTokenizer.fromText('abc', { maxVocab: 4 }).vocabSize).toBe(4);
  });
});
