import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { splitTrainVal } from '../../src/data/corpus.ts';
import { distillTimes, initStudent } from '../../src/distill/init.ts';
import { DistillTrainer } from '../../src/distill/trainer.ts';
import { TimeMap } from '../../src/flm/timeMap.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { REFERENCE_TRAIN, type TrainConfig } from '../../src/train/schedule.ts';
import { FlmTrainer } from '../../src/train/trainer.ts';
import { gpuBackend } from '../gpu.ts';

const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40) + 'a stitch in time saves nine.\n'.repeat(20);
const tok = CharTokenizer.fromText(text);
const split = splitTrainVal(text, 0.2);
const data = { train: tok.encode(split.train), val: tok.encode(split.val) };
const cfg = defaultConfig({ vocab: tok.vocabSize, length: 16, hidden: 32, heads: 2, blocks: 2, cond: 16 });
const train: TrainConfig = { ...REFERENCE_TRAIN, batch: 4, steps: 10, lr: 3e-3, warmup: 3, emaDecay: 0.99, seed: 7, evalEvery: 0, evalBatches: 2, dropout: 0 };
const meta = { name: 'distill test', createdAt: '2026-01-01T00:00:00Z' };

/** A briefly trained FLM teacher (so its predictions are not uniform). */
async function teacher(backend: Backend): Promise<Checkpoint> {
  const t = new FlmTrainer(backend, cfg, train, data);
  for (let i = 0; i < 6; i++) await t.trainStep();
  const c = await t.snapshot({ kind: 'flm', name: 'teacher', createdAt: meta.createdAt });
  t.release();
  return c;
}

async function exactResume(backend: Backend, stage: 1 | 2, teachers: { f: Checkpoint; g?: Checkpoint }) {
  const k = 3, m = 2;
  const a = new DistillTrainer(backend, stage, teachers, train, data);
  const lossesA: number[] = [];
  for (let i = 0; i < k + m; i++) lossesA.push((await a.trainStep()).loss);
  const ema = await backend.read(a.ema);
  const b1 = new DistillTrainer(backend, stage, teachers, train, data);
  const lossesB: number[] = [];
  for (let i = 0; i < k; i++) lossesB.push((await b1.trainStep()).loss);
  const ckpt = decodeCheckpoint(encodeCheckpoint(await b1.snapshot(meta)));
  expect(ckpt.meta.kind).toBe(stage === 1 ? 'flowmap' : 'fmlm');
  expect(ckpt.config.twoTime).toBe(true);
  const b2 = new DistillTrainer(backend, stage, teachers, train, data, ckpt);
  for (let i = 0; i < m; i++) lossesB.push((await b2.trainStep()).loss);
  expect(lossesB).toEqual(lossesA);
  expect(await backend.read(b2.ema)).toEqual(ema);
  for (const t of [a, b1, b2]) t.release();
  return { lossesA, ckpt };
}

describe('distillation trainer', () => {
  it('initialises g at exactly zero output and δ as f', async () => {
    const backend = new CpuBackend();
    const f = await teacher(backend);
    const fW = f.ema!;
    const g = initStudent(1, cfg, fW, 1);
    expect(g.config.twoTime && g.config.lossWeighting).toBe(true);
    const gl = paramLayout(g.config), fl = paramLayout(cfg);
    const spec = (l: typeof gl, name: string) => l.specs.find((s) => s.name === name)!;
    const block = spec(gl, 'blocks.0.attn_qkv.weight'), fBlock = spec(fl, 'blocks.0.attn_qkv.weight');
    expect(g.params.subarray(block.offset, block.offset + block.size)).toEqual(fW.subarray(fBlock.offset, fBlock.offset + fBlock.size));
    const net = new DiT(backend, g.config, 2);
    backend.write(net.params, g.params);
    backend.write(net.x, Float32Array.from({ length: net.x.size }, (_, i) => Math.sin(i)));
    backend.write(net.t, new Float32Array([0.2, 0.5]));
    backend.write(net.tPrime!, new Float32Array([0.6, 1]));
    net.forward();
    expect(Math.max(...(await backend.read(net.logits)).map(Math.abs))).toBe(0);
    // δ = f at the start: the same logits whatever t'
    const d = initStudent(2, cfg, fW, 1);
    const dn = new DiT(backend, d.config, 2), fn = new DiT(backend, cfg, 2);
    backend.write(dn.params, d.params); backend.write(fn.params, fW);
    for (const n of [dn, fn]) { backend.write(n.x, Float32Array.from({ length: n.x.size }, (_, i) => Math.cos(i))); backend.write(n.t, new Float32Array([0.2, 0.5])); }
    backend.write(dn.tPrime!, new Float32Array([0.9, 0.7]));
    dn.forward(); fn.forward();
    const dl = await backend.read(dn.logits), fl2 = await backend.read(fn.logits);
    expect(Math.max(...dl.map((x, i) => Math.abs(x - fl2[i])))).toBeLessThan(1e-5);
  });

  it('(s, d) pairs: d in range, s + d ≤ 1, about 1/64 boundary pairs in stage 1', () => {
    const tm = new TimeMap(37);
    let boundary = 0, n = 0;
    for (let step = 0; step < 400; step++) {
      const t = distillTimes(1, 3, step, 16, tm);
      boundary += t.boundary;
      n += 16;
      for (let i = 0; i < 16; i++) {
        expect(t.t[i]).toBeLessThanOrEqual(1);
        expect(t.t[i] - t.s[i]).toBeGreaterThanOrEqual(1e-6 - 1e-7);
        expect(t.u[i]).toBeCloseTo((t.s[i] + t.t[i]) / 2, 6);
        expect(t.gs[i]).toBeLessThanOrEqual(t.gt[i]);
      }
    }
    expect(boundary / n).toBeGreaterThan(1 / 64 * 0.6);
    expect(boundary / n).toBeLessThan(1 / 64 * 1.5);
  });

  it('stage 1 then stage 2 on the CPU: the losses fall, exact resume, and a different teacher is refused', async () => {
    const backend = new CpuBackend();
    const f = await teacher(backend);
    const s1 = await exactResume(backend, 1, { f });
    const long = new DistillTrainer(backend, 1, { f }, { ...train, lr: 1e-3 }, data);
    const l1: number[] = [];
    for (let i = 0; i < 25; i++) l1.push((await long.trainStep()).loss);
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    expect(mean(l1.slice(-5))).toBeLessThan(mean(l1.slice(0, 5)));
    expect(Number.isFinite(await long.validate())).toBe(true);
    const g = await long.snapshot(meta);
    long.release();

    await exactResume(backend, 2, { f, g });
    const other = { ...f, ema: f.ema!.map((x) => x * 1.01) };
    expect(() => new DistillTrainer(backend, 1, { f: other }, train, data, s1.ckpt)).toThrow(/different model/);
    expect(() => new DistillTrainer(backend, 2, { f }, train, data)).toThrow(/stage-1 flow map/);
  });

  it('stage 1 on WebGPU: exact resume', async () => {
    const gpu = await gpuBackend();
    await exactResume(gpu, 1, { f: await teacher(gpu) });
  });
});
