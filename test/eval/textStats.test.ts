import { describe, expect, it } from 'vitest';
import { CharBigram, corpusWords, knownWordShare, spaceShare, textStats } from '../../src/eval/textStats.ts';

const corpus = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);

describe('text statistics against a corpus', () => {
  it('corpus-like text has a lower bigram NLL than shuffled or uniform text', () => {
    const bg = CharBigram.fit(corpus);
    const good = bg.nll('the cat sat on the log.');
    const bad = bg.nll('tgh .aco tseht anlt t ga');
    expect(good).toBeLessThan(bad);
    // an unseen character is possible (smoothed), not infinite
    expect(Number.isFinite(bg.nll('zzz'))).toBe(true);
  });

  it('known words and spaces', () => {
    const words = corpusWords(corpus);
    expect(knownWordShare('The cat sat on a xyz', words)).toBeCloseTo(3 / 4, 6);
    expect(Number.isNaN(knownWordShare('   ', words))).toBe(true);
    expect(spaceShare('a b ')).toBe(0.5);
    const s = textStats(['the cat', 'qqq zzz'], CharBigram.fit(corpus), words);
    expect(s.knownWords).toBeCloseTo(0.5, 6);
  });
});
