import { describe, it, expect } from 'vitest';
import { convertFile, detokenize, stripTag } from '../../scripts/build-corpus.ts';

const tokens = (s: string) => s.split(' ');

describe('build-corpus detokenizer', () => {
  it('strips tags, keeping slashes inside words', () => {
    expect(stripTag('Fulton/np-tl')).toBe('Fulton');
    expect(stripTag('and/or/cc')).toBe('and/or');
    expect(stripTag('//in')).toBe('/');
  });
  it('attaches punctuation and quotes', () => {
    expect(detokenize(tokens("``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd ./."))).toBe(
      '"Only a handful", the jury said.',
    );
    expect(detokenize(tokens('it/pps (/( the/at resolution/nn )/) passed/vbd ;/. why/wrb ?/.'))).toBe(
      'it (the resolution) passed; why?',
    );
    expect(detokenize(tokens("more/ap '/' pro/jj '/' letters/nns than/in '/' con/jj '/'"))).toBe("more 'pro' letters than 'con'");
    expect(detokenize(tokens('Ivan/np Allen/np Jr./np ./.'))).toBe('Ivan Allen Jr.');
    expect(detokenize(tokens('no/at --/-- and/cc'))).toBe('no -- and');
    expect(detokenize(tokens("bars/nns being/beg 1/8''/nn ''/'' brass/nn"))).toBe('bars being 1/8" brass');
  });
  it('keeps one sentence per line and separates paragraphs', () => {
    const src = '\n\n\tA/at b/nn ./.\n\n\n\tC/at d/nn ./.\nE/at f/nn ./.\n';
    expect(convertFile(src)).toEqual([['A b.'], ['C d.', 'E f.']]);
  });
});
