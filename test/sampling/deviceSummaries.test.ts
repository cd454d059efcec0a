/**
 * Frames summarised on the device (SamplingSession on WebGPU): the same
 * summaries, in the same order and with the same ties, as the host path
 * computes from the same tensors read back; the same under a lowered
 * binding limit (the chunked vocabulary-sized ops a paper-size model takes);
 * float16 weights; the memory plan and its typed errors; upload progress.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { setMaxBindingBytes } from '../../src/engine/kernels/kernel.ts';
import { ModelTooLargeError } from '../../src/engine/webgpu/errors.ts';
import { roundToHalf } from '../../src/engine/host/half.ts';
import { decodeCheckpoint, defaultMeta, type Checkpoint } from '../../src/io/checkpoint.ts';
import { defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { frameBuffers, type FrameSummary } from '../../src/sampling/frames.ts';
import { NonFiniteSampleError, SamplingSession, type SampleSettings } from '../../src/sampling/session.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const bundled = (name: string) => decodeCheckpoint(new Uint8Array(readFileSync(new URL(`../../public/models/${name}`, import.meta.url))));

/** A random model with non-zero weights everywhere (the output layer too), so its predictions are not uniform. */
function randomModel(cfg: DiTConfig, seed: number): Checkpoint {
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.total);
  layout.specs.forEach((s, i) => params.set(randomArray(s.size, seed * 1000 + i, s.shape.length === 1 && s.name.includes('norm') ? 0 : 0.4).map((v) => (s.name.includes('norm') ? 1 : v)), s.offset));
  return { config: cfg, meta: defaultMeta(cfg), params };
}

/** Sample with frames, each frame's buffers transferred as the sampling worker does (so none may be shared with the result). */
async function frames(session: SamplingSession, s: SampleSettings) {
  const out: FrameSummary[] = [];
  const run = await session.run(s, (f) => { out.push(structuredClone(f, { transfer: frameBuffers(f) })); });
  return { run, frames: out };
}

function expectSameFrames(a: FrameSummary[], b: FrameSummary[], entropyTol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((f, i) => {
    const g = b[i];
    expect([f.step, f.t, f.gamma, f.k]).toEqual([g.step, g.t, g.gamma, g.k]);
    for (const key of ['zIds', 'zVals', 'pIds', 'pProbs', 'argmaxZ', 'argmaxP'] as const) expect([...f[key]], `frame ${i} ${key}`).toEqual([...g[key]]);
    f.entropy.forEach((h, r) => expect(Math.abs(h - g.entropy[r]), `frame ${i} entropy ${r}`).toBeLessThanOrEqual(entropyTol * Math.max(1, Math.abs(g.entropy[r]))));
    expect(f.texts).toEqual(g.texts);
  });
}

// Each case compiles a sampler's pipelines on SwiftShader: slow on a loaded machine.
describe('frames summarised on the device', { timeout: 400_000 }, () => {
  const sameAsHost = (name: string, files: [string, string | undefined], s: SampleSettings) =>
    it(`equal the host summaries of the same tensors: ${name}`, async () => {
      const gpu = await gpuBackend();
      const ckpt = bundled(files[0]), teacher = files[1] ? bundled(files[1]) : undefined;
      const device = new SamplingSession(gpu, ckpt, { teacher });
      const host = new SamplingSession(gpu, ckpt, { teacher, summaries: 'host' });
      const d = await frames(device, s), h = await frames(host, s);
      expect(d.run.tokens).toEqual(h.run.tokens);
      expect(d.run.texts).toEqual(h.run.texts);
      expectSameFrames(d.frames, h.frames, 2e-6);
      // without frames: the same tokens, from the final state's argmax on the device
      expect((await device.run(s)).tokens).toEqual(h.run.tokens);
      device.release();
      host.release();
    });
  sameAsHost('FLM, 3 steps', ['flm-micro-char.safetensors', undefined], { steps: 3, seed: 5, count: 2, k: 6 });
  sameAsHost('FMLM, one step', ['fmlm-micro-char.safetensors', undefined], { steps: 1, seed: 7, count: 3, k: 8 });
  sameAsHost('stage-1 flow map with its teacher (two networks), 2 steps', ['flowmap-micro-char.safetensors', 'flm-micro-char.safetensors'], { steps: 2, seed: 9, count: 1, k: 4 });

  it('give the same bits when the vocabulary-sized ops run in chunks (binding limit lowered)', async () => {
    const gpu = await gpuBackend();
    const cfg = defaultConfig({ vocab: 300, length: 32, hidden: 32, heads: 2, blocks: 1, cond: 16, twoTime: true });
    const ckpt = randomModel(cfg, 3);
    ckpt.meta = { ...defaultMeta(cfg), kind: 'fmlm' };
    const s = { steps: 2, seed: 11, count: 4, k: 5 };
    const session = new SamplingSession(gpu, ckpt);
    const whole = await frames(session, s);
    session.release();
    // [count·L, V] = 128 × 300 floats (154 kB): 64 rows (77 kB) per binding.
    setMaxBindingBytes(gpu.ctx, 64 * 300 * 4 + 256);
    try {
      const chunked = new SamplingSession(gpu, ckpt);
      const split = await frames(chunked, s);
      expect(split.run.tokens).toEqual(whole.run.tokens);
      expectSameFrames(split.frames, whole.frames, 0);
      chunked.release();
    } finally {
      setMaxBindingBytes(gpu.ctx, null);
    }
    // and the CPU reference samples the same tokens
    const cpu = await new SamplingSession(new CpuBackend(), ckpt).run(s);
    expect(cpu.tokens).toEqual(whole.run.tokens);
  });

  it('with float16 weights: half the weight memory, predictions of the weights rounded to float16', async () => {
    const gpu = await gpuBackend();
    const fmlm = bundled('fmlm-micro-char.safetensors');
    const s = { steps: 1, seed: 3, count: 2, k: 4 };
    const half = new SamplingSession(gpu, fmlm, { weights: 'f16' });
    const full = new SamplingSession(gpu, fmlm);
    expect(half.weightStorage).toBe('f16');
    expect(half.weightBytes).toBeLessThan(0.6 * full.weightBytes);
    // The CPU reference on the same weights rounded to float16 (the matmul weights only).
    const rounded: Checkpoint = { ...fmlm, params: fmlm.params.slice(), ema: (fmlm.ema ?? fmlm.params).slice() };
    for (const p of paramLayout(fmlm.config).specs) {
      if (p.shape.length === 2) for (let i = p.offset; i < p.offset + p.size; i++) rounded.ema![i] = roundToHalf(rounded.ema![i]);
    }
    const cpu = await frames(new SamplingSession(new CpuBackend(), rounded), s);
    const dev = await frames(half, s);
    expect(dev.run.tokens).toEqual(cpu.run.tokens);
    expect(maxRelL2(dev.frames[0].pProbs, cpu.frames[0].pProbs)).toBeLessThan(1e-4);
    const f32 = await frames(full, s);
    expect(maxRelL2(f32.frames[0].pProbs, cpu.frames[0].pProbs)).toBeGreaterThan(0); // the rounding is real
    expect(() => new SamplingSession(new CpuBackend(), fmlm, { weights: 'f16' })).toThrow(/WebGPU option/);
    half.release();
    full.release();
  });

  it('report non-finite values as the host path does', async () => {
    const gpu = await gpuBackend();
    const broken = bundled('flm-micro-char.safetensors');
    (broken.ema ?? broken.params).fill(NaN);
    const session = new SamplingSession(gpu, broken);
    await expect(session.run({ steps: 2, seed: 1, count: 1, k: 3 }, () => {})).rejects.toThrow(/non-finite value at step 0 \(sample 0, position 0\)/);
    await expect(session.run({ steps: 2, seed: 1, count: 1, k: 3 })).rejects.toThrow(NonFiniteSampleError);
    await expect(session.run({ steps: 2, seed: 1, count: 1, k: 3 })).rejects.toThrow(/non-finite value at step 2/);
    session.release();
  });
});

describe('memory plans on WebGPU', { timeout: 400_000 }, () => {
  it('sampling allocates what the plan measures; a batch above the limits is a ModelTooLargeError naming the sizes', async () => {
    const gpu = await gpuBackend();
    const fmlm = bundled('fmlm-micro-char.safetensors');
    const progress: number[] = [];
    const session = await SamplingSession.open(gpu, fmlm, { onProgress: (p) => progress.push(p.loaded) });
    expect(progress.at(-1)).toBe(paramLayout(fmlm.config).total * 4);
    const plan = session.memoryPlan(2);
    expect(plan.parameters).toBe(paramLayout(fmlm.config).count);
    gpu.ctx.trimPool();
    const before = gpu.ctx.allocatedBytes;
    gpu.ctx.resetPeaks();
    await session.run({ steps: 1, seed: 1, count: 2, k: 4 }, () => {});
    const used = gpu.ctx.peakAllocatedBytes - before;
    // the plan's tensors, plus the summary buffer, uniforms and the staging buffers of reads (small here)
    expect(used).toBeGreaterThanOrEqual(plan.workBytes!);
    expect(used).toBeLessThan(plan.workBytes! * 1.5);
    // a buffer limit between the largest buffer of one sequence and that of two
    gpu.ctx.bufferLimitOverride = Math.ceil(1.5 * session.memoryPlan(1).largest.bytes);
    try {
      const err = await session.run({ steps: 1, seed: 1, count: 3, k: 4 }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelTooLargeError);
      expect(err.message).toMatch(/This model \(0\.\d+M parameters, .* of float32 weights, V = \d+, L = 64\) cannot sample 3 sequences at once on this device: its .* needs .* in one buffer, above its limits \(maxBufferSize .*\)\. At most 1 at once fits\./);
    } finally {
      gpu.ctx.bufferLimitOverride = null;
    }
    session.release();
  });
});
