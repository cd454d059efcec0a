import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledBpe } from '../../src/cli/train.ts';
import { parameterCount, presetConfig, presetTrain, PRESETS } from '../../src/train/presets.ts';

describe('presets', () => {
  it('micro, small and base, by name', () => {
    expect(Object.keys(PRESETS)).toEqual(['micro', 'small', 'base']);
    for (const [name, p] of Object.entries(PRESETS)) expect(p.name).toBe(name);
    expect(() => presetConfig('huge' as never, 10)).toThrow(/unknown preset "huge" \(choose micro, small, base\)/);
  });

  it('base: 5.0M parameters with the 4,096-token BPE of the whole corpus, and at least 128 characters of text per sequence', () => {
    const bpe = bundledBpe('bpe-4096'); // what `flm train --tokenizer bpe-4096` uses
    expect(bpe.toJSON().name).toBe('brown-full-bpe-4096');
    const cfg = presetConfig('base', bpe.vocabSize);
    expect(cfg).toMatchObject({ vocab: 4096, length: 40, hidden: 192, heads: 6, blocks: 6, cond: 96 });
    expect(parameterCount(cfg)).toBe(4_981_120);
    const text = readFileSync(new URL('../../public/corpus/brown.txt', import.meta.url), 'utf8').slice(0, 100_000);
    expect((text.length / bpe.encode(text).length) * cfg.length).toBeGreaterThanOrEqual(128);
    expect(presetTrain('base', 10)).toMatchObject({ batch: 32, steps: 10, lr: 1e-3, warmup: 200, dropout: 0 });
  });
});
