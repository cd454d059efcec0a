/**
 * The logits seam: a SamplingSession whose network is the exported ONNX
 * model on onnxruntime (node here; onnxruntime-web in the studio, e2e/onnx)
 * gives the studio's own frames — same frame count, argmaxes and tokens,
 * probabilities within float tolerance — for the Euler, one-network
 * flow-map and two-network samplers. The sampler code is the same; only
 * the logits come from elsewhere.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { isLogitsSource, networkOf } from '../../src/flm/network.ts';
import { decodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { exportOnnx } from '../../src/io/onnx/index.ts';
import type { FrameSummary } from '../../src/sampling/frames.ts';
import { checkOnnxSignature, OnnxLogits, onnxLogitsProvider, OnnxModel } from '../../src/sampling/onnxLogits.ts';
import { SamplingSession } from '../../src/sampling/session.ts';

const root = new URL('../../', import.meta.url).pathname;
const bundled = (f: string) => decodeCheckpoint(new Uint8Array(readFileSync(`${root}public/models/${f}`)));
const opened: OnnxModel[] = [];
afterAll(async () => { for (const m of opened) await m.release(); });

async function onnxModel(ckpt: Checkpoint): Promise<OnnxModel> {
  const session = await ort.InferenceSession.create(exportOnnx(ckpt).bytes);
  const m = new OnnxModel(ort, session, ckpt.config);
  opened.push(m);
  return m;
}

async function frames(session: SamplingSession, steps: number, seed: number, count: number) {
  const out: FrameSummary[] = [];
  const run = await session.run({ steps, seed, count, k: 4 }, (f) => { out.push(f); });
  return { run, frames: out };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('sampling with the network on onnxruntime (a logits provider)', () => {
  const cases: [string, string, number, string | null][] = [
    ['FMLM, one step', 'fmlm-micro-char.safetensors', 1, null],
    ['FMLM, 2 flow-map steps', 'fmlm-micro-char.safetensors', 2, null],
    ['FLM, 4 Euler steps', 'flm-micro-char.safetensors', 4, null],
    ['stage-1 flow map, 2 two-network steps', 'flowmap-micro-char.safetensors', 2, 'flm-micro-char.safetensors'],
  ];
  for (const [name, file, steps, teacherFile] of cases) {
    it(`${name}: the studio's frames and tokens`, async () => {
      const ckpt = bundled(file);
      const teacher = teacherFile ? bundled(teacherFile) : undefined;
      const studio = new SamplingSession(new CpuBackend(), ckpt, { teacher });
      const provider = onnxLogitsProvider('onnxruntime-node', await onnxModel(ckpt), teacher ? await onnxModel(teacher) : null);
      const viaOnnx = new SamplingSession(new CpuBackend(), ckpt, { teacher, logits: provider });
      expect(viaOnnx.weightBytes).toBe(0);
      const a = await frames(studio, steps, 5, 2);
      const b = await frames(viaOnnx, steps, 5, 2);
      expect(b.run.runtime).toBe('onnxruntime-node');
      expect(b.run.tokens).toEqual(a.run.tokens);
      expect(b.run.texts).toEqual(a.run.texts);
      expect(b.frames.length).toBe(steps + 1);
      expect(b.frames.length).toBe(a.frames.length);
      let worst = 0;
      a.frames.forEach((fa, i) => {
        const fb = b.frames[i];
        expect([...fb.argmaxZ]).toEqual([...fa.argmaxZ]);
        expect([...fb.argmaxP]).toEqual([...fa.argmaxP]);
        expect(fb.texts).toEqual(fa.texts);
        worst = Math.max(worst, maxDiff(fb.pProbs, fa.pProbs), maxDiff(fb.zVals, fa.zVals));
      });
      console.log(`${name}: max |Δ| of the frames' top-k probabilities and state values ${worst.toExponential(1)}`);
      expect(worst).toBeLessThan(1e-5);
      studio.release();
      viaOnnx.release();
    });
  }
});

describe('the logits seam', () => {
  const cfg = bundled('fmlm-micro-char.safetensors').config;

  it('tells a logits source from a weight tensor, and refuses one for another model or count', async () => {
    const be = new CpuBackend();
    const model = await onnxModel(bundled('fmlm-micro-char.safetensors'));
    const src = new OnnxLogits(be, model, 2);
    expect(isLogitsSource(src)).toBe(true);
    expect(isLogitsSource(be.tensor(4))).toBe(false);
    expect(src.compute).toBeTypeOf('function');
    expect(networkOf(be, cfg, 2, src)).toBe(src);
    expect(() => networkOf(be, cfg, 3, src)).toThrow(/holds 2 sequences, the sampler draws 3/);
    expect(() => networkOf(be, { ...cfg, vocab: cfg.vocab + 1 }, 2, src)).toThrow(/another model/);
    src.release();
  });

  it('an ONNX model without the DiT\'s inputs is refused, naming what it has', () => {
    expect(() => checkOnnxSignature({ inputNames: ['xt', 't'], outputNames: ['logits'] }, cfg)).toThrow(/xt, t, t_prime/);
    expect(() => checkOnnxSignature({ inputNames: ['x'], outputNames: ['y'] }, { ...cfg, twoTime: false })).toThrow(/inputs x and outputs y/);
    expect(() => checkOnnxSignature({ inputNames: ['xt', 't'], outputNames: ['logits'] }, { ...cfg, twoTime: false })).not.toThrow();
  });

  it('a provider without a teacher says so when the two-network sampler asks for one', async () => {
    const p = onnxLogitsProvider('x', await onnxModel(bundled('fmlm-micro-char.safetensors')));
    expect(() => p.source(new CpuBackend(), 1, 'teacher')).toThrow(/no FLM teacher/);
  });
});
