import { describe, expect, it } from 'vitest';
import { DEMO_MODEL, linkUrl, parseLink, sourceFor } from '../../src/ui/demoLink.ts';

describe('demo share links', () => {
  it('round-trip model, seed, steps, count, comparison and backend', () => {
    const link = { model: 'https://example.org/x/model.safetensors', seed: 123456, steps: 2, count: 3, compare: 32, backend: 'webgpu' as const };
    const url = linkUrl('https://studio.example/flm/?view=train&seed=1#x', link);
    expect(url.startsWith('https://studio.example/flm/?view=demo&')).toBe(true);
    const back = parseLink(new URL(url).search);
    expect(back.link).toEqual(link);
    expect(back.auto).toBe(true);
  });

  it('fall back to the bundled FMLM and safe defaults for missing or hostile values', () => {
    const { link, auto } = parseLink('?model=../../etc/passwd&seed=-4&steps=99999&count=abc&backend=gl');
    expect(link).toEqual({ model: DEMO_MODEL, seed: 0, steps: 1, count: 2, compare: 64, backend: 'auto' });
    expect(auto).toBe(true);
    expect(parseLink('').auto).toBe(false);
  });

  it('map a bundled id to its file and a URL to a remote source', () => {
    expect(sourceFor('fmlm-micro-char')).toEqual({ kind: 'bundled', file: 'fmlm-micro-char.safetensors' });
    expect(sourceFor('https://h/m.safetensors')).toEqual({ kind: 'url', url: 'https://h/m.safetensors' });
    expect(() => sourceFor('a/b')).toThrow(/neither a bundled model/);
  });
});
