import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { ArTrainer, judgeConfig } from '../../src/ar/trainer.ts';
import { Judge } from '../../src/ar/judge.ts';
import { writeArInput } from '../../src/ar/input.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { configFromMetadata, configToMetadata, defaultConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { presetTrain } from '../../src/train/presets.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

const V = 11, L = 12;
const cfg = judgeConfig(defaultConfig({ vocab: V, length: L, hidden: 16, heads: 2, blocks: 2, cond: 8 }));
const stream = (n: number, seed: number) => Uint32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 3 + ((i * i) % 5)) % (V - 1)) + 1);

describe('the autoregressive judge', () => {
  it('writes the BOS row and shifted one-hots', () => {
    const x = writeArInput(new Float32Array(2 * 3 * 4), Uint32Array.from([1, 2, 3, 0, 3, 2]), 2, 3, 4);
    const rows = Array.from({ length: 6 }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4)));
    expect(rows).toEqual([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]);
  });

  it('records causal in the metadata only when set, and reads it back', () => {
    expect(configToMetadata({ ...cfg, causal: false }).causal).toBeUndefined();
    expect(configFromMetadata(configToMetadata(cfg)).causal).toBe(true);
    expect(configFromMetadata(configToMetadata({ ...cfg, causal: false })).causal).toBeUndefined();
  });

  for (const name of ['cpu', 'webgpu'] as const) {
    it(`${name}: the causal DiT's logits at i do not depend on tokens after i−1`, async () => {
      const backend = name === 'cpu' ? new CpuBackend() : await gpuBackend();
      const m = new DiT(backend, cfg, 1, { inference: true });
      // Random weights everywhere (the reference initialisation zeroes the output layer).
      backend.write(m.params, randomArray(m.layout.total, 3, 0.3));
      backend.write(m.t, new Float32Array(1));
      const logits = async (tokens: Uint32Array) => {
        backend.write(m.x, writeArInput(new Float32Array(L * V), tokens, 1, L, V));
        const p = backend.compile(() => m.forward());
        p.run();
        return backend.read(m.logits);
      };
      const a = stream(L, 1), b = Uint32Array.from(a);
      const cut = 7;
      for (let i = cut; i < L; i++) b[i] = (a[i] % (V - 1)) + 1;
      const la = await logits(a), lb = await logits(b);
      // Row i sees tokens < i: rows ≤ cut are identical, later ones differ.
      expect(Array.from(lb.subarray(0, (cut + 1) * V))).toEqual(Array.from(la.subarray(0, (cut + 1) * V)));
      let diff = 0;
      for (let e = (cut + 1) * V; e < L * V; e++) diff = Math.max(diff, Math.abs(la[e] - lb[e]));
      expect(diff).toBeGreaterThan(1e-4);
      m.release();
    });
  }

  it('trains (the loss falls), resumes exactly, and the Judge scores with the EMA weights', async () => {
    const backend = new CpuBackend();
    const train = { ...presetTrain('micro'), batch: 2, evalBatches: 1, lr: 5e-3, warmup: 1, seed: 4 };
    const data = { train: stream(400, 1), val: stream(100, 2) };
    const a = new ArTrainer(backend, cfg, train, data);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await a.trainStep()).loss);
    const val = await a.validate();
    expect(Number.isFinite(val)).toBe(true);
    expect(losses[5]).toBeLessThan(losses[0]);
    const snap = decodeCheckpoint(encodeCheckpoint(await a.snapshot({ name: 'j', createdAt: new Date(0).toISOString() })));
    expect(snap.meta.kind).toBe('judge');
    expect(snap.config.causal).toBe(true);
    const next = (await a.trainStep()).loss;
    const b = new ArTrainer(backend, snap.config, train, data, snap);
    expect((await b.trainStep()).loss).toBe(next);

    const judge = new Judge(backend, snap, 2);
    const tokens = Uint32Array.from([...data.val.subarray(0, 3 * L)]);
    const nll = await judge.nll(tokens, 3);
    expect(nll).toHaveLength(3);
    // Batch 2 with a partial last batch gives the same numbers as one sequence at a time.
    const one = new Judge(backend, snap, 1);
    for (let s = 0; s < 3; s++) expect((await one.nll(tokens.subarray(s * L, (s + 1) * L), 1))[0]).toBeCloseTo(nll[s], 6);
    expect(() => new Judge(backend, { ...snap, config: { ...snap.config, causal: false } })).toThrow(/not causal/);
  });
});
