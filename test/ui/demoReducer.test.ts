import { describe, expect, it } from 'vitest';
import type { FrameSummary } from '../../src/sampling/frames.ts';
import type { SampleRun } from '../../src/sampling/session.ts';
import type { LoadedModel } from '../../workers/protocol.ts';
import { DEMO_MODEL } from '../../src/ui/demoLink.ts';
import { initialDemo, isBusy, reduceDemo, WARM_UP, type DemoAction, type DemoPage } from '../../src/ui/reducers/demo.ts';

const link = { model: DEMO_MODEL, seed: 3, steps: 1, count: 2, compare: 64, backend: 'auto' as const };
const model: LoadedModel = {
  name: 'FMLM', step: 300, length: 4, vocab: 5, params: 100, tokenizer: 'char', pieces: ['a', 'b', 'c', 'd', 'e'], usesEma: true,
  backend: 'CPU', backendKind: 'cpu', fallbackReason: null, sampler: 'FMLM, one-network flow-map sampler', kind: 'fmlm', samplerKind: 'flowmap',
  teacher: 'flm-micro-char.safetensors',
};
const none = () => new Uint32Array(0);
const frame = (step: number): FrameSummary => ({
  step, t: step, gamma: 0, k: 0, zIds: none(), zVals: new Float32Array(0), pIds: none(), pProbs: new Float32Array(0), entropy: new Float32Array(0), argmaxZ: none(), argmaxP: none(),
});
const run: SampleRun = { steps: 1, seed: 3, count: 2, tokens: [[1], [2]], texts: ['b', 'c'], msTotal: 8, msPerStep: 4 };
const reduce = (s: DemoPage, ...actions: DemoAction[]) => actions.reduce(reduceDemo, s);

describe('the Demo reducer', () => {
  it('opens a model: progress, warm-up, ready; the link names the opened model', () => {
    const s = reduce(initialDemo(link), { type: 'opening' }, { type: 'progress', progress: { what: 'fmlm', loaded: 10, total: 20 } },
      { type: 'opened', model: 'https://h/m.safetensors', loaded: model }, { type: 'teacher', name: 'flm-micro-char.safetensors' }, { type: 'warming-up' });
    expect(s.phase).toBe('loading');
    expect(s.progress).toBe(WARM_UP);
    expect(s.link.model).toBe('https://h/m.safetensors');
    expect(s.teacher).toBe('flm-micro-char.safetensors');
    expect(reduceDemo(s, { type: 'ready' })).toMatchObject({ phase: 'ready', progress: null });
  });

  it('a model that cannot be opened: failed when there is none, else the current one stays', () => {
    const none = reduce(initialDemo(link), { type: 'opening' }, { type: 'open-failed', model: 'x', message: 'Not found' });
    expect(none).toMatchObject({ phase: 'failed', message: 'Not found', refused: 'x', model: null });
    const kept = reduce(initialDemo(link), { type: 'opened', model: DEMO_MODEL, loaded: model }, { type: 'ready' }, { type: 'opening' },
      { type: 'open-failed', model: 'y', message: 'CORS' });
    expect(kept).toMatchObject({ phase: 'ready', model, refused: 'y', message: 'CORS' });
  });

  it('generates: frames from frame 0, the sample, the comparison, then ready; a failure keeps its message', () => {
    const ready = reduce(initialDemo(link), { type: 'opened', model: DEMO_MODEL, loaded: model }, { type: 'ready' });
    const s = reduce(ready, { type: 'generating' }, { type: 'frame', frame: frame(0) }, { type: 'frame', frame: frame(1) }, { type: 'sampled', run }, { type: 'comparing' });
    expect(s.phase).toBe('comparing');
    expect(isBusy(s.phase)).toBe(true);
    expect(s.frames.map((f) => f.step)).toEqual([0, 1]);
    expect(s.run).toBe(run);
    const compared = reduce(s, { type: 'compared', result: { steps: 64, texts: ['x'], tokens: [[0]], msPerSample: 9 } }, { type: 'generated' });
    expect(compared.phase).toBe('ready');
    expect(compared.compare?.steps).toBe(64);
    // a new generation forgets the previous sample and comparison
    expect(reduceDemo(compared, { type: 'generating' })).toMatchObject({ frames: [], run: null, compare: null, genError: null });
    expect(reduce(ready, { type: 'generating' }, { type: 'generate-failed', message: 'lost' }, { type: 'generated' })).toMatchObject({ phase: 'ready', genError: 'lost' });
  });

  it('changes the link settings without touching the model', () => {
    const s = reduceDemo(initialDemo(link), { type: 'link', patch: { seed: 9, compare: 0 } });
    expect(s.link).toEqual({ ...link, seed: 9, compare: 0 });
  });
});
