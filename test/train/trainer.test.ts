import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { splitTrainVal } from '../../src/data/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { REFERENCE_TRAIN, type TrainConfig } from '../../src/train/schedule.ts';
import { FlmTrainer } from '../../src/train/trainer.ts';
import { gpuBackend } from '../gpu.ts';

const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40) + 'a stitch in time saves nine.\n'.repeat(20);
const tok = CharTokenizer.fromText(text);
const split = splitTrainVal(text, 0.2);
const data = { train: tok.encode(split.train), val: tok.encode(split.val) };
const cfg = defaultConfig({ vocab: tok.vocabSize, length: 16, hidden: 32, heads: 2, blocks: 2, cond: 16 });
const train: TrainConfig = { ...REFERENCE_TRAIN, batch: 4, steps: 10, lr: 3e-3, warmup: 3, emaDecay: 0.99, seed: 7, evalEvery: 0, evalBatches: 2 };
const meta = { kind: 'flm' as const, name: 'resume test', createdAt: '2026-01-01T00:00:00Z' };

async function exactResume(backend: Backend) {
  const k = 4, m = 3;
  const straight = new FlmTrainer(backend, cfg, train, data);
  const lossesA: number[] = [];
  for (let i = 0; i < k + m; i++) lossesA.push((await straight.trainStep()).loss);
  const paramsA = await backend.read(straight.model.params);

  const first = new FlmTrainer(backend, cfg, train, data);
  const lossesB: number[] = [];
  for (let i = 0; i < k; i++) lossesB.push((await first.trainStep()).loss);
  const bytes = encodeCheckpoint(await first.snapshot(meta));
  const resumed = new FlmTrainer(backend, cfg, train, data, decodeCheckpoint(bytes));
  expect(resumed.step).toBe(k);
  for (let i = 0; i < m; i++) lossesB.push((await resumed.trainStep()).loss);
  const paramsB = await backend.read(resumed.model.params);
  expect(lossesB).toEqual(lossesA);
  expect(paramsB).toEqual(paramsA);
  expect((await resumed.snapshot(meta)).meta.lossHistory!.map((p) => p.loss)).toEqual(lossesA);
}

describe('FLM trainer', () => {
  it('exact resume on the CPU backend: k steps + save + load + m steps = k + m steps', async () => {
    await exactResume(new CpuBackend());
  });
  it('exact resume on WebGPU', async () => {
    await exactResume(await gpuBackend());
  });

  it('starts at ln V (zero-initialised output) and the loss falls', async () => {
    const t = new FlmTrainer(new CpuBackend(), cfg, { ...train, steps: 40 }, data);
    const first = await t.trainStep();
    expect(first.loss).toBeCloseTo(Math.log(cfg.vocab), 4);
    let last = first.loss;
    for (let i = 0; i < 39; i++) last = (await t.trainStep()).loss;
    expect(last).toBeLessThan(first.loss - 0.5);
    const val = await t.validate();
    expect(val).toBeLessThan(Math.log(cfg.vocab));
  });

  it('a non-finite gradient is reported and the weights are left untouched', async () => {
    const b = new CpuBackend();
    const t = new FlmTrainer(b, cfg, train, data);
    await t.trainStep();
    const before = await b.read(t.model.params);
    const p = await b.read(t.model.params);
    const spec = t.model.layout.byName.get('output_layer.linear.weight')!;
    p[spec.offset] = Infinity;
    b.write(t.model.params, p);
    const r = await t.trainStep();
    expect(r.nonFinite).toBe(true);
    const after = await b.read(t.model.params);
    after[spec.offset] = before[spec.offset];
    expect(after).toEqual(before);
  });

  it('release() gives every device buffer back (no growth across runs)', async () => {
    const gpu = await gpuBackend();
    const before = gpu.ctx.liveBuffers;
    for (let run = 0; run < 2; run++) {
      const t = new FlmTrainer(gpu, cfg, train, data);
      await t.trainStep();
      t.release();
      expect(gpu.ctx.liveBuffers).toBe(before);
    }
  });
});
