import { describe, expect, it } from 'vitest';
import type { FrameSummary } from '../../src/sampling/frames.ts';
import type { SampleRun } from '../../src/sampling/session.ts';
import { stepsLabel } from '../../src/ui/labels.ts';
import { compareJobs, initialSampleRun, parseSteps, reduceSample, runtimeText, sampleQuery, type SampleAction, type SampleRunState } from '../../src/ui/reducers/sample.ts';

/** A frame of 2 rows, k = 1. */
const frame = (step: number, argmax = [step, step]): FrameSummary => ({
  step, t: step / 4, gamma: 0, k: 1,
  zIds: new Uint32Array(argmax), zVals: new Float32Array([1, 1]), pIds: new Uint32Array(argmax), pProbs: new Float32Array([0.9, 0.8]),
  entropy: new Float32Array([0.1, 0.2]), argmaxZ: new Uint32Array(argmax), argmaxP: new Uint32Array(argmax),
});
const run: SampleRun = { steps: 2, seed: 7, count: 2, tokens: [[2], [2]], texts: ['a', 'b'], msTotal: 10, msPerStep: 5 };
const settings = { steps: 2, seed: 7, count: 2, k: 1 };
const reduce = (s: SampleRunState, ...actions: SampleAction[]) => actions.reduce(reduceSample, s);

describe('the Sample view reducer', () => {
  it('records a run: frames in order, the scrubber on the newest, done with the run', () => {
    const s = reduce(initialSampleRun, { type: 'started', settings }, { type: 'frame', frame: frame(0) }, { type: 'frame', frame: frame(1) });
    expect(s.status).toBe('sampling');
    expect(s.recorded).toEqual(settings);
    expect(s.frames.map((f) => f.step)).toEqual([0, 1]);
    expect(s.frame).toBe(1);
    const done = reduce(s, { type: 'frame', frame: frame(2) }, { type: 'done', run });
    expect(done.status).toBe('done');
    expect(done.run).toBe(run);
    expect(done.frame).toBe(2);
  });

  it('starts the frame list again at frame 0 (the worker retried on a new GPU device)', () => {
    const s = reduce(initialSampleRun, { type: 'started', settings }, { type: 'frame', frame: frame(0) }, { type: 'frame', frame: frame(1) }, { type: 'frame', frame: frame(0) });
    expect(s.frames.map((f) => f.step)).toEqual([0]);
    expect(s.frame).toBe(0);
  });

  it('a new run or a new model forgets the recorded one; the chosen sample stays within the new count', () => {
    const s = reduce(initialSampleRun, { type: 'started', settings }, { type: 'frame', frame: frame(0) }, { type: 'done', run },
      { type: 'select-sample', sample: 1 }, { type: 'select-position', position: 3 }, { type: 'compare-column', column: { label: 'x', model: 'this', steps: 1, texts: [], msPerStep: 1, msTotal: 1 } });
    const again = reduceSample(s, { type: 'started', settings: { ...settings, count: 1 } });
    expect(again).toMatchObject({ frames: [], run: null, frame: 0, position: null, compare: [], finalProbs: null, sample: 0, status: 'sampling' });
    expect(reduceSample(s, { type: 'started', settings: { ...settings, count: Number.NaN } }).sample).toBe(0);
    expect(reduceSample(s, { type: 'loaded' })).toMatchObject({ frames: [], run: null, recorded: null, sample: 0, status: 'ready' });
  });

  it('scrubs within the frames, plays from the start after the end, and stops at the last frame', () => {
    let s = reduce(initialSampleRun, { type: 'started', settings }, ...[0, 1, 2].map((k): SampleAction => ({ type: 'frame', frame: frame(k) })), { type: 'done', run });
    expect(reduceSample(s, { type: 'seek', frame: 9 }).frame).toBe(2);
    expect(reduceSample(s, { type: 'seek', frame: -3 }).frame).toBe(0);
    s = reduceSample(s, { type: 'play', playing: true });
    expect(s).toMatchObject({ playing: true, frame: 0 });
    s = reduce(s, { type: 'tick' }, { type: 'tick' });
    expect(s).toMatchObject({ playing: true, frame: 2 });
    s = reduceSample(s, { type: 'tick' });
    expect(s).toMatchObject({ playing: false, frame: 2 });
    expect(reduceSample(s, { type: 'tick' })).toBe(s);
  });

  it('takes final-token probabilities only for the frames on screen', () => {
    const s = reduce(initialSampleRun, { type: 'started', settings }, { type: 'frame', frame: frame(0) }, { type: 'done', run });
    const probs = [new Float32Array([0.5, 0.25])];
    expect(reduceSample(s, { type: 'final-probs', frames: s.frames, probs }).finalProbs).toBe(probs);
    expect(reduceSample(s, { type: 'final-probs', frames: [frame(0)], probs }).finalProbs).toBeNull();
  });

  it('fails with a message, and a comparison keeps its columns in order', () => {
    expect(reduceSample(initialSampleRun, { type: 'failed', message: 'no' })).toMatchObject({ status: 'error', message: 'no' });
    const col = (steps: number) => ({ label: `FLM · ${steps}`, model: 'this' as const, steps, texts: ['t'], msPerStep: 1, msTotal: steps });
    const s = reduce({ ...initialSampleRun, message: 'old' }, { type: 'compare-started' }, { type: 'compare-column', column: col(1) }, { type: 'compare-column', column: col(8) });
    expect(s.comparing).toBe(true);
    expect(s.message).toBeNull();
    expect(s.compare.map((c) => c.steps)).toEqual([1, 8]);
    expect(reduce(s, { type: 'compare-failed', message: 'lost' }, { type: 'compare-done' })).toMatchObject({ comparing: false, message: 'lost' });
  });
});

describe('comparison jobs and step lists', () => {
  it('parse step lists once each, and refuse what is not a whole number from 1 to 1024', () => {
    expect(parseSteps('1, 8 64,8')).toEqual([1, 8, 64]);
    expect(parseSteps('')).toEqual([]);
    expect(parseSteps('0, 2')).toBeNull();
    expect(parseSteps('1.5')).toBeNull();
    expect(parseSteps('2048')).toBeNull();
  });

  it('label the columns by the model kind (typed), then its FLM teacher', () => {
    const fmlm = { kind: 'fmlm' as const, teacher: 'flm-micro-char.safetensors' };
    expect(compareJobs(fmlm, '1', '1, 8')).toEqual([
      { model: 'this', steps: 1, label: 'FMLM · 1 step' },
      { model: 'teacher', steps: 1, label: 'FLM teacher · 1 step' },
      { model: 'teacher', steps: 8, label: 'FLM teacher · 8 steps' },
    ]);
    // no teacher: its step list is ignored
    expect(compareJobs({ kind: 'flm', teacher: null }, '8', 'junk')).toEqual([{ model: 'this', steps: 8, label: 'FLM · 8 steps' }]);
    expect(compareJobs({ kind: 'flm', teacher: null }, '', '')).toMatch(/whole numbers/);
    expect(compareJobs(fmlm, '1', '0')).toMatch(/whole numbers/);
  });

  it('name the steps by the sampler kind, not by its display string', () => {
    expect(stepsLabel(null)).toBe('Euler steps');
    expect(stepsLabel({ samplerKind: 'euler' })).toBe('Euler steps');
    expect(stepsLabel({ samplerKind: 'flowmap' })).toBe('Steps');
    expect(stepsLabel({ samplerKind: 'two-network' })).toBe('Steps');
  });

  it('read the settings, model and backend of a Sample view URL, with defaults for missing or bad values', () => {
    const d = { steps: 8, seed: 0, count: 4, k: 8 };
    expect(sampleQuery('?model=stored:abc&steps=1&seed=11&count=2&k=5&backend=cpu', d))
      .toEqual({ key: 'stored:abc', settings: { steps: 1, seed: 11, count: 2, k: 5 }, backend: 'cpu', runtime: 'studio' });
    expect(sampleQuery('?steps=-1&seed=x&backend=gl&runtime=tf', d)).toEqual({ key: null, settings: d, backend: 'auto', runtime: 'studio' });
    expect(sampleQuery('?runtime=onnx', d).runtime).toBe('onnx');
  });

  it('says which runtime produced a run and its timing', () => {
    expect(runtimeText({ runtime: 'onnxruntime-web 1.30.0 (wasm, 1 thread)', msTotal: 284.4, steps: 2, count: 4, networkMs: 60.2, msFrames: 200 }))
      .toBe('onnxruntime-web 1.30.0 (wasm, 1 thread): 84 ms, 42 ms/step, 21 ms/sample, of which onnxruntime-web 60 ms (+ 200 ms drawing the frames)');
    expect(runtimeText({ runtime: 'CPU reference (TypeScript)', msTotal: 9.25, steps: 2, count: 2, msFrames: 0 }))
      .toBe('CPU reference (TypeScript): 9.3 ms, 4.6 ms/step, 4.6 ms/sample');
    expect(runtimeText({ msTotal: 12, steps: 1, count: 1 })).toBe('the studio: 12 ms, 12 ms/step, 12 ms/sample');
  });
});
