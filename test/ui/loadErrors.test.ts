import { describe, expect, it } from 'vitest';
import { WorkerError } from '../../workers/protocol.ts';
import { explainLoadError } from '../../src/ui/loadErrors.ts';

describe('why a model could not be opened, in words', () => {
  it('says an unknown bundled model id was not found (the host answered with its HTML page)', () => {
    const html = new Error('nope.safetensors is not a safetensors file (it begins with "<!doctype html><html lang="en">…")');
    expect(explainLoadError(html, 'nope')).toBe('Model not found: the studio has no bundled model named "nope"');
    const missing = new Error('nope.safetensors was not found (HTTP 404) at http://127.0.0.1/models/nope.safetensors');
    expect(explainLoadError(missing, 'nope')).toBe('Model not found: the studio has no bundled model named "nope"');
    expect(explainLoadError(new WorkerError('not-found', 'gone'), 'nope')).toMatch(/^Model not found: /);
  });

  it('keeps a URL\'s web page a "not a model file" (it may be a sign-in page) and words other failures by code', () => {
    const page = new WorkerError('not-safetensors', 'page.safetensors is not a safetensors file (it begins with "<!doctype html><title>Sign in")');
    expect(explainLoadError(page, 'https://h/page.safetensors')).toMatch(/^That is not a model file: .*not a safetensors file/);
    expect(explainLoadError(new WorkerError('cors', 'blocked'), 'https://h/m.safetensors')).toBe('The model\'s server refused access (CORS): blocked');
    expect(explainLoadError(new WorkerError('bad-checkpoint', 'shape'), 'fmlm-micro-char')).toBe('The model file does not match its config (the bundled model fmlm-micro-char): shape');
    expect(explainLoadError(new Error('boom'), 'fmlm-micro-char')).toBe('Could not open the bundled model fmlm-micro-char: boom');
  });
});
