/**
 * Sampling with onnxruntime against the studio's own network: a one-step
 * FMLM sample gives identical tokens (the sampler's own input state, the one
 * step with logits from onnxruntime-node and onnxruntime-web), and the
 * studio's samplers with their logits from onnxruntime (OnnxLogits, the
 * logits seam the CLI's --runtime onnx uses) draw the same noise and follow
 * the Euler, flow-map and two-network samplers.
 */
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportCheckpoint } from '../../src/cli/exportOnnx.ts';
import { loadModelFile } from '../../src/cli/modelFile.ts';
import { openOnnxModel } from '../../src/cli/onnxRuntime.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { softmax } from '../../src/engine/reference/softmax.ts';
import { argmaxRows, EulerSampler, type SampleFrame } from '../../src/flm/sampler.ts';
import { TwoNetworkSampler } from '../../src/flm/twoNetworkSampler.ts';
import { decodeCheckpoint, defaultMeta, type Checkpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { uploadWeights } from '../../src/model/weights.ts';
import { configOfFixture, fixtureParams, relL2 } from '../../src/parity/dit.ts';
import type { FrameSummary } from '../../src/sampling/frames.ts';
import { OnnxLogits, onnxLogitsProvider } from '../../src/sampling/onnxLogits.ts';
import { SamplingSession } from '../../src/sampling/session.ts';

ortWeb.env.wasm.numThreads = 1;
const root = new URL('../../', import.meta.url).pathname;
const bundled = (f: string) => decodeCheckpoint(new Uint8Array(readFileSync(`${root}public/models/${f}`)));

/** The official two-time fixture's weights as an FMLM checkpoint. */
function flowmapFixture(): Checkpoint {
  const f = readSafetensors(new Uint8Array(readFileSync(`${root}test/fixtures/official-dit/dit_flowmap.safetensors`)));
  const config = configOfFixture(f);
  return { config, meta: { ...defaultMeta(config), kind: 'fmlm' }, params: fixtureParams(paramLayout(config), config, f) };
}

/** The studio's sampler (CPU reference) for a one-time FLM or an FMLM: its frames and tokens. */
async function studioSample(ckpt: Checkpoint, count: number, steps: number, seed: number) {
  const be = new CpuBackend();
  const s = new EulerSampler(be, ckpt.config, count, uploadWeights(be, ckpt));
  const frames: SampleFrame[] = [];
  const r = await s.sample(steps, seed, (f) => { frames.push(f); });
  return { ...r, frames };
}

/** The smallest gap between the two largest values of any row. */
function minMargin(p: Float32Array, V: number): number {
  let m = Infinity;
  for (let r = 0; r < p.length / V; r++) {
    const row = Array.from(p.subarray(r * V, (r + 1) * V)).sort((a, b) => b - a);
    m = Math.min(m, row[0] - row[1]);
  }
  return m;
}

describe('one-step FMLM: identical tokens with logits from onnxruntime', () => {
  const cases: [string, () => Checkpoint][] = [
    ['bundled fmlm-micro-char', () => bundled('fmlm-micro-char.safetensors')],
    ['official fmlm.ckpt', () => loadModelFile(`${root}test/fixtures/official-ckpt/fmlm.ckpt`).checkpoint],
    ['official dit_flowmap weights', flowmapFixture],
  ];
  for (const [name, load] of cases) {
    it(name, async () => {
      const ckpt = load(), cfg = ckpt.config, count = 4, rows = count * cfg.length, V = cfg.vocab;
      expect(cfg.twoTime).toBe(true);
      const studio = await studioSample(ckpt, count, 1, 11);
      const z0 = studio.frames[0].z;
      const bytes = exportCheckpoint(ckpt).bytes;
      // onnxruntime-node, as the CLI opens it …
      const net = await openOnnxModel(bytes, cfg);
      const t0 = new Float32Array(count).fill(0), t1 = new Float32Array(count).fill(1);
      const logitsNode = await net.logits(z0, t0, t1);
      // … and onnxruntime-web's WebAssembly backend.
      const web = await ortWeb.InferenceSession.create(bytes);
      const out = await web.run({
        xt: new ortWeb.Tensor('float32', z0, [count, cfg.length, V]),
        t: new ortWeb.Tensor('float32', t0, [count]), t_prime: new ortWeb.Tensor('float32', t1, [count]),
      });
      const logitsWeb = out.logits.data as Float32Array;
      for (const logits of [logitsNode, logitsWeb]) {
        const p = new Float32Array(rows * V);
        softmax(p, logits, rows, V);
        expect(Array.from(argmaxRows(p, rows, V))).toEqual(Array.from(studio.tokens));
        expect(relL2(p, studio.z)).toBeLessThan(1e-5);
      }
      console.log(`${name}: ${rows} tokens identical; smallest top-2 probability margin ${minMargin(studio.z, V).toExponential(2)}`);
      // The whole one-step sample, the studio's sampler with its logits from onnxruntime: same noise, same tokens.
      const be = new CpuBackend();
      const sampler = new EulerSampler(be, cfg, count, new OnnxLogits(be, net, count));
      const frames: SampleFrame[] = [];
      const r = await sampler.sample(1, 11, (f) => { frames.push(f); });
      expect(frames[0].z).toEqual(z0);
      expect(Array.from(r.tokens)).toEqual(Array.from(studio.tokens));
      await net.release();
      await web.release();
    });
  }
});

describe('the studio samplers with their logits from onnxruntime', () => {
  it('FLM, 8 Euler steps: every frame close, tokens identical', async () => {
    const ckpt = bundled('flm-micro-char.safetensors'), count = 2;
    const studio = await studioSample(ckpt, count, 8, 3);
    const net = await openOnnxModel(exportCheckpoint(ckpt).bytes, ckpt.config);
    const frames: SampleFrame[] = [];
    const be = new CpuBackend();
    const r = await new EulerSampler(be, ckpt.config, count, new OnnxLogits(be, net, count)).sample(8, 3, (f) => { frames.push(f); });
    expect(frames.length).toBe(9);
    frames.forEach((f, k) => {
      expect(f.step).toBe(k);
      expect(f.gamma).toBe(studio.frames[k].gamma);
      expect(relL2(f.z, studio.frames[k].z)).toBeLessThan(1e-4);
    });
    expect(Array.from(r.tokens)).toEqual(Array.from(studio.tokens));
    await net.release();
  });

  it('stage-1 flow map with its FLM teacher (two networks), 2 steps', async () => {
    const g = bundled('flowmap-micro-char.safetensors'), f = bundled('flm-micro-char.safetensors'), count = 2;
    const be = new CpuBackend();
    const studio = new TwoNetworkSampler(be, f.config, g.config, count, { f: uploadWeights(be, f), g: uploadWeights(be, g) });
    const want = await studio.sample(2, 5);
    const gNet = await openOnnxModel(exportCheckpoint(g).bytes, g.config);
    const fNet = await openOnnxModel(exportCheckpoint(f).bytes, f.config);
    const host = new CpuBackend();
    const got = await new TwoNetworkSampler(host, f.config, g.config, count, { f: new OnnxLogits(host, fNet, count), g: new OnnxLogits(host, gNet, count) }).sample(2, 5);
    expect(relL2(got.z, want.z)).toBeLessThan(1e-4);
    expect(Array.from(got.tokens)).toEqual(Array.from(want.tokens));
    await gNet.release();
    await fNet.release();
  });

  it('a session with the onnxruntime logits provider gives the studio session\'s run: texts, frames with texts, settings checked', async () => {
    const ckpt = bundled('fmlm-micro-char.safetensors'), be = new CpuBackend();
    const session = new SamplingSession(be, ckpt);
    const net = await openOnnxModel(exportCheckpoint(ckpt).bytes, ckpt.config);
    const viaOnnx = new SamplingSession(be, ckpt, { logits: onnxLogitsProvider('onnxruntime-node', net) });
    const settings = { steps: 2, seed: 9, count: 2, k: 4 };
    const wantFrames: FrameSummary[] = [], frames: FrameSummary[] = [];
    const want = await session.run(settings, (f) => { wantFrames.push(f); });
    const got = await viaOnnx.run(settings, (f) => { frames.push(f); });
    expect(got.runtime).toBe('onnxruntime-node');
    expect(got.tokens).toEqual(want.tokens);
    expect(got.texts).toEqual(want.texts);
    // The frames the visualizer shows: the same candidates, argmaxes and texts, entropies within float error.
    expect(frames.length).toBe(3);
    frames.forEach((f, i) => {
      const w = wantFrames[i];
      expect([f.step, f.t, f.gamma, f.k]).toEqual([w.step, w.t, w.gamma, w.k]);
      expect(f.texts).toEqual(w.texts);
      expect(Array.from(f.argmaxZ)).toEqual(Array.from(w.argmaxZ));
      expect(Array.from(f.argmaxP)).toEqual(Array.from(w.argmaxP));
      expect(relL2(f.pProbs, w.pProbs)).toBeLessThan(1e-5); // the top-k probabilities, best first
      expect(relL2(f.entropy, w.entropy)).toBeLessThan(1e-5);
    });
    await expect(viaOnnx.run({ ...settings, steps: 0 })).rejects.toThrow(/steps/);
    await net.release();
  });

  it('refuses a model whose inputs are not the DiT\'s', async () => {
    const flm = bundled('flm-micro-char.safetensors'), fmlm = bundled('fmlm-micro-char.safetensors');
    await expect(openOnnxModel(exportCheckpoint(flm).bytes, fmlm.config)).rejects.toThrow(/t_prime/);
  });
});
