import { describe, expect, it } from 'vitest';
import { DEMO_MODEL, linkUrl, menuWith, parseLink, sharedBackend, sourceFor } from '../../src/ui/demoLink.ts';

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

  it('say which values of a link could not be used, and what is used instead', () => {
    const { link, notices } = parseLink('?seed=-5&count=999&backend=tpu&compare=7');
    expect(link).toMatchObject({ seed: 0, count: 2, backend: 'auto', compare: 7 });
    expect(notices).toEqual([
      'backend=tpu is not a backend (auto, webgpu, wasm or cpu): using auto',
      'seed=-5 is not a whole number from 0 to 2147483647: using 0',
      'count=999 is not a whole number from 1 to 8: using 2',
    ]);
    expect(parseLink('?model=../x&seed=').notices).toEqual([
      `model=../x is neither a bundled model nor an http(s) URL: using ${DEMO_MODEL}`,
      'seed= is not a whole number from 0 to 2147483647: using 0',
    ]);
    expect(parseLink('?view=demo&model=flm-micro-char&seed=3&steps=2&count=1&compare=0&backend=cpu').notices).toEqual([]);
  });

  it('show a link value that is not among a menu\'s choices (compare=7) as the chosen one', () => {
    expect(menuWith([0, 8, 16, 32], 7)).toEqual([0, 7, 8, 16, 32]);
    expect(menuWith([1, 2, 4, 8], 4)).toEqual([1, 2, 4, 8]);
  });

  it('offer the backend that computed the sample: a WebGPU link opened where only the CPU runs offers the CPU', () => {
    expect(sharedBackend('webgpu', 'cpu')).toBe('cpu');
    expect(sharedBackend('auto', 'webgpu')).toBe('webgpu');
    expect(sharedBackend('cpu', null)).toBe('cpu');
    const url = linkUrl('https://s/?view=demo', { model: DEMO_MODEL, seed: 1, steps: 1, count: 1, compare: 0, backend: sharedBackend('webgpu', 'cpu') });
    expect(new URL(url).searchParams.get('backend')).toBe('cpu');
  });

  it('map a bundled id to its file and a URL to a remote source', () => {
    expect(sourceFor('fmlm-micro-char')).toEqual({ kind: 'bundled', file: 'fmlm-micro-char.safetensors' });
    expect(sourceFor('https://h/m.safetensors')).toEqual({ kind: 'url', url: 'https://h/m.safetensors' });
    expect(() => sourceFor('a/b')).toThrow(/neither a bundled model/);
  });
});
