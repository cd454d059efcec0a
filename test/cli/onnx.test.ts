/**
 * `flm export-onnx` and `flm sample --runtime onnx` end to end: the exported
 * files (from safetensors and from an official .ckpt, float32 and float16)
 * open in onnxruntime-node with their metadata; a one-step FMLM sample on
 * onnxruntime prints the same JSON and tokens as the studio's; bad arguments
 * and damaged files are refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ONNX_META, readOnnxMetadata, TIME_GRID } from '../../src/io/onnx/index.ts';
import { flm, lastJson } from './flm.ts';

const dir = mkdtempSync(join(tmpdir(), 'flm-onnx-'));

describe('npm run flm -- export-onnx', () => {
  it('exports a bundled FLM (safetensors) and an official FMLM (.ckpt, --f16) that onnxruntime-node opens', async () => {
    const a = join(dir, 'flm.onnx'), b = join(dir, 'fmlm16.onnx');
    const [ra, rb] = await Promise.all([
      flm(['export-onnx', 'public/models/flm-micro-char.safetensors', a]),
      flm(['export-onnx', 'test/fixtures/official-ckpt/fmlm.ckpt', b, '--f16']),
    ]);
    expect(ra.status, ra.stderr).toBe(0);
    expect(rb.status, rb.stderr).toBe(0);
    const sa = lastJson(ra), sb = lastJson(rb);
    expect(sa).toMatchObject({ opset: 17, ir_version: 8, kind: 'flm', dtype: 'float32', inputs: ['xt', 't'], output: 'logits', length: 64 });
    expect(sb).toMatchObject({ kind: 'fmlm', dtype: 'float16', weights: 'ema', inputs: ['xt', 't', 't_prime'], vocab: 37, length: 24 });
    expect(sb.bytes).toBeLessThan(sa.bytes);
    for (const [file, s] of [[a, sa], [b, sb]] as const) {
      const bytes = new Uint8Array(readFileSync(file));
      expect(bytes.length).toBe(s.bytes);
      const meta = readOnnxMetadata(bytes);
      expect(JSON.parse(meta[ONNX_META.config]).vocab).toBe(s.vocab);
      const tm = JSON.parse(meta[ONNX_META.timeMap]);
      expect(tm.K).toBe(s.vocab);
      expect(tm.gamma.length).toBe(TIME_GRID + 1);
      expect(tm.gamma[0]).toBe(0);
      expect(tm.gamma[TIME_GRID]).toBeCloseTo(1, 6);
      for (let k = 1; k <= TIME_GRID; k++) expect(tm.gamma[k]).toBeGreaterThanOrEqual(tm.gamma[k - 1]);
      const session = await ort.InferenceSession.create(file);
      expect(session.inputNames).toEqual(s.inputs);
      const L = s.length, V = s.vocab;
      const feeds: Record<string, ort.Tensor> = {
        xt: new ort.Tensor('float32', new Float32Array(3 * L * V).fill(0.1), [3, L, V]),
        t: new ort.Tensor('float32', Float32Array.of(0, 0.5, 1), [3]),
      };
      if (s.inputs.includes('t_prime')) feeds.t_prime = new ort.Tensor('float32', Float32Array.of(1, 1, 1), [3]);
      const out = await session.run(feeds);
      expect(out.logits.dims).toEqual([3, L, V]);
      expect(Array.from(out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
      await session.release();
    }
    expect(readOnnxMetadata(new Uint8Array(readFileSync(a)))[ONNX_META.tokenizer]).toContain('char');
  });

  it('refuses bad arguments (usage, exit 2) and a damaged checkpoint (one line, exit 2)', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, 'not a checkpoint at all');
    const [noOut, badWeights, damaged] = await Promise.all([
      flm(['export-onnx', 'public/models/flm-micro-char.safetensors']),
      flm(['export-onnx', 'public/models/flm-micro-char.safetensors', join(dir, 'x.onnx'), '--weights', 'best']),
      flm(['export-onnx', bad, join(dir, 'y.onnx')]),
    ]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain('export-onnx needs');
    expect(badWeights.status).toBe(2);
    expect(badWeights.stderr).toContain('--weights');
    expect(damaged.status).toBe(2);
    expect(damaged.stderr.trim().split('\n').length).toBe(1);
  });
});

describe('npm run flm -- sample --runtime onnx', () => {
  const fmlm = 'public/models/fmlm-micro-char.safetensors';

  it('one-step FMLM: the same JSON and tokens as the studio, also from an exported file', async () => {
    const file = join(dir, 'fmlm.onnx');
    const exp = await flm(['export-onnx', fmlm, file]);
    expect(exp.status, exp.stderr).toBe(0);
    const args = ['sample', '--checkpoint', fmlm, '--steps', '1', '--seed', '4', '--count', '3'];
    const [studio, onnx, onnxFile] = await Promise.all([
      flm([...args, '--backend', 'cpu']),
      flm([...args, '--runtime', 'onnx']),
      flm([...args, '--runtime', 'onnx', '--onnx', file]),
    ]);
    for (const r of [studio, onnx, onnxFile]) expect(r.status, r.stderr).toBe(0);
    const s = lastJson(studio), o = lastJson(onnx), f = lastJson(onnxFile);
    expect(Object.keys(o).sort()).toEqual(Object.keys(s).sort());
    expect(s.runtime).toBe('studio');
    expect(o.runtime).toBe('onnxruntime-node');
    expect(o.tokens).toEqual(s.tokens);
    expect(f.tokens).toEqual(s.tokens);
    expect(o.texts).toEqual(s.texts);
    expect(o.sampler).toBe(s.sampler);
    expect(onnx.stdout).toContain('--- sample 2');
  });

  it('refuses a bad --runtime, --onnx without it, and an ONNX file of another model', async () => {
    const other = join(dir, 'other.onnx');
    const exp = await flm(['export-onnx', 'public/models/flm-micro-char.safetensors', other]);
    expect(exp.status, exp.stderr).toBe(0);
    const [bad, lone, mismatch] = await Promise.all([
      flm(['sample', '--checkpoint', fmlm, '--steps', '1', '--runtime', 'tpu']),
      flm(['sample', '--checkpoint', fmlm, '--steps', '1', '--onnx', other]),
      flm(['sample', '--checkpoint', fmlm, '--steps', '1', '--runtime', 'onnx', '--onnx', other]),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--runtime');
    expect(lone.status).toBe(2);
    expect(lone.stderr).toContain('--runtime onnx');
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.stderr).toContain('another model');
  });
});
