import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { readFileSync } from 'node:fs';
import { BpeTokenizer } from '../../src/data/bpeTokenizer.ts';
import { decodeCheckpoint, defaultMeta, type Checkpoint } from '../../src/io/checkpoint.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/init.ts';
import { paramLayout } from '../../src/model/layout.ts';
import type { FrameSummary } from '../../src/sampling/frames.ts';
import { NonFiniteSampleError, SamplingSession } from '../../src/sampling/session.ts';
import { trajectoryJSON } from '../../src/sampling/trajectory.ts';
import { fixtureBytes } from '../helpers.ts';

const load = (): Checkpoint => decodeCheckpoint(fixtureBytes('checkpoint_flm.safetensors'));

describe('SamplingSession', () => {
  it('streams N + 1 frames whose last argmax is the result, deterministically', async () => {
    const ckpt = load();
    const { length: L, vocab: V } = ckpt.config;
    const session = new SamplingSession(new CpuBackend(), ckpt);
    const frames: FrameSummary[] = [];
    const run = await session.run({ steps: 4, seed: 3, count: 2, k: 5 }, (f) => { frames.push(f); });
    expect(frames.map((f) => f.step)).toEqual([0, 1, 2, 3, 4]);
    expect(frames.map((f) => f.t)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(frames[0].gamma).toBe(0);
    expect(frames[4].gamma).toBe(1);
    for (const f of frames) {
      expect(f.zIds.length).toBe(2 * L * 5);
      expect(f.entropy.length).toBe(2 * L);
      for (const h of f.entropy) { expect(h).toBeGreaterThanOrEqual(-1e-6); expect(h).toBeLessThanOrEqual(Math.log(V) + 1e-5); }
      // the prediction's top-k probabilities are probabilities, best first
      for (let r = 0; r < 2 * L; r++) {
        const q = f.pProbs.subarray(r * 5, r * 5 + 5);
        expect(q[0]).toBeLessThanOrEqual(1 + 1e-6);
        for (let j = 1; j < 5; j++) expect(q[j]).toBeLessThanOrEqual(q[j - 1]);
      }
    }
    // frame 0 is Gaussian noise (top values of V standard normals, not a distribution); the last frame is one
    expect(Math.max(...frames[0].zVals)).toBeGreaterThan(1.5);
    for (let r = 0; r < 2 * L; r++) expect(frames[4].zVals[r * 5]).toBeLessThanOrEqual(1 + 1e-6);
    expect([...frames[4].argmaxZ]).toEqual(run.tokens.flat());
    expect(frames[4].texts).toEqual(run.texts);
    expect(run.texts[0]).toMatch(/^(⟨\d+⟩){24}$/);

    const again = await session.run({ steps: 4, seed: 3, count: 2, k: 5 });
    expect(again.tokens).toEqual(run.tokens);
    const other = await session.run({ steps: 4, seed: 4, count: 2, k: 5 });
    expect(other.tokens).not.toEqual(run.tokens);
    expect((await session.run({ steps: 1, seed: 3, count: 1, k: 1 })).tokens[0].length).toBe(L);

    const json = trajectoryJSON({ model: 'x', backend: 'cpu', length: L, vocab: V, steps: 4, seed: 3, count: 2, k: 5 }, session.pieces, frames, run);
    expect(json.frames.length).toBe(5);
    expect(json.frames[2].top_p.ids.length).toBe(2);
    expect(json.frames[2].top_p.ids[1].length).toBe(L);
    expect(json.frames[2].top_p.ids[1][0].length).toBe(5);
    expect(json.frames[4].argmax_z).toEqual(run.tokens);
    expect(JSON.parse(JSON.stringify(json)).pieces.length).toBe(V);
    session.release();
  });

  it('decodes with the checkpoint tokenizer', async () => {
    const ckpt = load();
    const V = ckpt.config.vocab;
    const tk = CharTokenizer.fromText(Array.from({ length: V - 1 }, (_, i) => String.fromCharCode(33 + i)).join(''));
    expect(tk.vocabSize).toBe(V);
    ckpt.meta.tokenizer = tk.toJSON();
    const session = new SamplingSession(new CpuBackend(), ckpt);
    const run = await session.run({ steps: 2, seed: 1, count: 1, k: 3 });
    expect(run.texts[0]).toBe(tk.decode(run.tokens[0]));
    expect(session.pieces[1]).toBe(tk.tokenString(1));
  });

  it('refuses bad settings and reports non-finite weights clearly', async () => {
    const ckpt = load();
    const session = new SamplingSession(new CpuBackend(), ckpt);
    await expect(session.run({ steps: 0, seed: 1, count: 1, k: 3 })).rejects.toThrow(/steps/);
    await expect(session.run({ steps: 2, seed: -1, count: 1, k: 3 })).rejects.toThrow(/seed/);
    await expect(session.run({ steps: 2, seed: 1, count: 0, k: 3 })).rejects.toThrow(/samples/);
    await expect(session.run({ steps: 2, seed: 1, count: 1, k: 0 })).rejects.toThrow(/k must/);
    const broken = load();
    (broken.ema ?? broken.params).fill(NaN);
    const bad = new SamplingSession(new CpuBackend(), broken);
    await expect(bad.run({ steps: 2, seed: 1, count: 1, k: 3 }, () => {})).rejects.toThrow(NonFiniteSampleError);
    await expect(bad.run({ steps: 2, seed: 1, count: 1, k: 3 })).rejects.toThrow(/non-finite value at step 2/);
  });
});

describe('SamplingSession with the bundled byte-level BPE tokenizer', () => {
  it('shows one piece per token and decodes frames and results with the BPE decoder', async () => {
    const json = JSON.parse(readFileSync(new URL('../../public/corpus/brown-bpe.json', import.meta.url), 'utf8'));
    const tk = BpeTokenizer.fromTokenizerJson(json, 'brown-bpe');
    const config = defaultConfig({ vocab: tk.vocabSize, length: 12, hidden: 32, heads: 2, blocks: 1, cond: 16 });
    const meta = { ...defaultMeta(config), tokenizer: tk.toJSON() };
    const session = new SamplingSession(new CpuBackend(), { config, meta, params: initParams(paramLayout(config), 5) });
    expect(session.tokenizerName).toBe('byte-level BPE');
    expect(session.pieces.length).toBe(tk.vocabSize);
    const the = tk.encode(' the');
    expect(the.length).toBe(1);
    expect(session.pieces[the[0]]).toBe(' the');
    const frames: FrameSummary[] = [];
    const run = await session.run({ steps: 2, seed: 9, count: 2, k: 4 }, (f) => { frames.push(f); });
    expect(run.texts[1]).toBe(tk.decode(run.tokens[1]));
    expect(frames[2].texts).toEqual(run.texts);
    expect(frames[0].texts![0]).toBe(tk.decode(frames[0].argmaxZ.subarray(0, 12)));
  });
});
