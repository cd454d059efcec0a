/**
 * Opening an official checkpoint in the studio, as the reducers see it: the
 * Sample view's load progress and notices, the words for a file and its
 * progress, the Demo's question before a large remote model, and the share
 * link's source with the size the user agreed to.
 */
import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../workers/protocol.ts';
import { DEMO_MODEL, sourceFor } from '../../src/ui/demoLink.ts';
import { initialDemo, isBusy, reduceDemo, type DemoAction, type DemoPage } from '../../src/ui/reducers/demo.ts';
import { fileText, initialSampleRun, MODEL_FILE_ACCEPT, progressText, reduceSample, type SampleAction, type SampleRunState } from '../../src/ui/reducers/sample.ts';

const sample = (s: SampleRunState, ...a: SampleAction[]) => a.reduce(reduceSample, s);
const demo = (s: DemoPage, ...a: DemoAction[]) => a.reduce(reduceDemo, s);
const link = { model: DEMO_MODEL, seed: 3, steps: 1, count: 2, compare: 64, backend: 'auto' as const };
const model = { name: 'fmlm', kind: 'fmlm' } as LoadedModel;

describe('the Sample view opening a .ckpt', () => {
  it('shows the read progress while loading, and forgets it once loaded or failed', () => {
    const p = { what: 'fmlm.ckpt: reading the weights', loaded: 700_000, total: 1_400_000 };
    const s = sample(initialSampleRun, { type: 'loading' }, { type: 'progress', progress: p });
    expect(s).toMatchObject({ status: 'loading', progress: p });
    expect(sample(s, { type: 'loaded' })).toMatchObject({ status: 'ready', progress: null });
    // A damaged file: the message, and the model that was there stays (the store keeps `model`; the reducer only the status).
    expect(sample(s, { type: 'failed', message: 'Could not load the model: fmlm.ckpt: zip: …' })).toMatchObject({ status: 'error', progress: null, message: 'Could not load the model: fmlm.ckpt: zip: …' });
    // Progress that arrives after the load ended is dropped.
    expect(sample(initialSampleRun, { type: 'progress', progress: p }).progress).toBeNull();
  });

  it('keeps a notice (a model stored) until the next load', () => {
    const s = sample(initialSampleRun, { type: 'notice', notice: 'Stored "fmlm"' });
    expect(s.notice).toBe('Stored "fmlm"');
    expect(sample(s, { type: 'loading' }).notice).toBeNull();
  });

  it('words a file and a progress', () => {
    expect(fileText({ name: 'fmlm.ckpt', format: 'ckpt', bytes: 3_381_061, readMs: 41.6 })).toBe('fmlm.ckpt: official PyTorch Lightning checkpoint, 3.2 MB, read in 42 ms');
    expect(fileText({ name: 'm.safetensors', format: 'safetensors', bytes: 2 ** 30, readMs: 12_345 })).toBe('m.safetensors: studio checkpoint (.safetensors), 1024.0 MB, read in 12.3 s');
    expect(progressText({ what: 'fmlm.ckpt: reading the weights', loaded: 2 ** 20, total: 2 ** 21 })).toBe('fmlm.ckpt: reading the weights: 1.0 / 2.0 MB');
    expect(progressText({ what: 'the gpt2 tokenizer', loaded: 0, total: null })).toBe('the gpt2 tokenizer…');
    expect(MODEL_FILE_ACCEPT.split(',')).toEqual(['.ckpt', '.safetensors']);
  });
});

describe('the Demo and a remote model above 64 MB', () => {
  const q = { model: 'https://h/big.safetensors', size: 154 * 2 ** 20, message: 'big.safetensors is 154.0 MB, more than the 64.0 MB the studio downloads without asking' };

  it('asks with the size (not busy, nothing downloaded); yes opens it, no goes back to what was there', () => {
    const asked = demo(initialDemo(link), { type: 'opening' }, { type: 'confirm-size', question: q });
    expect(asked).toMatchObject({ phase: 'confirm', confirm: q, progress: null, model: null });
    expect(isBusy(asked.phase)).toBe(false);
    expect(demo(asked, { type: 'confirm-answered' })).toMatchObject({ phase: 'failed', confirm: null });
    expect(demo(asked, { type: 'confirm-answered' }, { type: 'opening' })).toMatchObject({ phase: 'loading', confirm: null });
    const withModel = demo(initialDemo(link), { type: 'opened', model: DEMO_MODEL, loaded: model }, { type: 'ready' }, { type: 'opening' }, { type: 'confirm-size', question: q });
    expect(demo(withModel, { type: 'confirm-answered' })).toMatchObject({ phase: 'ready', model, confirm: null });
  });

  it('the link\'s source carries the size agreed to only for a URL', () => {
    expect(sourceFor(q.model, q.size)).toEqual({ kind: 'url', url: q.model, maxBytes: q.size });
    expect(sourceFor(q.model)).toEqual({ kind: 'url', url: q.model });
    expect(sourceFor('fmlm-micro-char', 5)).toEqual({ kind: 'bundled', file: 'fmlm-micro-char.safetensors' });
  });
});
