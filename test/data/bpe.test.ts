import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpeTokenizer.ts';
import { trainByteLevelBpe } from '../../src/data/bpeTrainer.ts';
import { tokenizerFromJSON } from '../../src/data/tokenizer.ts';

const bundled = () => JSON.parse(readFileSync(new URL('../../public/corpus/brown-bpe.json', import.meta.url), 'utf8'));

describe('byte-level BPE through @huggingface/tokenizers', () => {
  it('a tokenizer trained here round-trips any text, including bytes it never saw', () => {
    const text = 'the cat sat on the mat. the cat ate the rat.\n'.repeat(20);
    const tok = BpeTokenizer.fromTokenizerJson(trainByteLevelBpe(text, 300), 'test');
    for (const s of ['the cat sat on the mat.', 'Zürich 🙂 tabs\tand\nnewlines  ', '']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    expect(tok.encode('the cat').length).toBeLessThan('the cat'.length);
    expect(tok.vocabSize).toBeLessThanOrEqual(300);
  });

  it('training is deterministic', () => {
    const text = 'abab abc abcd ab ab a b c'.repeat(10);
    expect(trainByteLevelBpe(text, 280)).toEqual(trainByteLevelBpe(text, 280));
  });

  it('the bundled tokenizer.json compresses the bundled corpus and survives a JSON round trip', () => {
    const tok = BpeTokenizer.fromTokenizerJson(bundled(), 'brown-bpe');
    expect(tok.vocabSize).toBe(512);
    const sample = readFileSync(new URL('../../public/corpus/brown.txt', import.meta.url), 'utf8').slice(0, 20000);
    const ids = tok.encode(sample);
    expect(tok.decode(ids)).toBe(sample);
    expect(ids.length / sample.length).toBeLessThan(0.5);
    const again = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.encode(sample.slice(0, 500))).toEqual(tok.encode(sample.slice(0, 500)));
  });
});
