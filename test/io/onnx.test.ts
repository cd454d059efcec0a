/**
 * ONNX export (src/io/onnx) against the studio's own forward pass on the CPU
 * reference backend, run by onnxruntime-node and by onnxruntime-web's
 * WebAssembly backend (both in Node, no browser): logits relative L2 ≤ 1e-5
 * on the official DiT fixtures, the official Lightning .ckpt fixtures and
 * every bundled model; float16 exports against the studio run with the same
 * float16-rounded weights; the graph's opset, operators and metadata.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../../src/cli/modelFile.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { fromHalfBits, toHalfBits } from '../../src/engine/host/half.ts';
import { decodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import {
  buildDiTGraph, decodeModel, encodeModel, exportOnnx, ONNX_IR_VERSION, ONNX_META, ONNX_OPSET, readOnnxMetadata, roundToHalfArray,
} from '../../src/io/onnx/index.ts';
import type { onnx } from 'onnx-proto';
import { readSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { modelWeights } from '../../src/model/weights.ts';
import { configOfFixture, fixtureParams, relL2 } from '../../src/parity/dit.ts';
import { randomArray } from '../helpers.ts';

ortWeb.env.wasm.numThreads = 1;

const root = new URL('../../', import.meta.url).pathname;
const TOL = 1e-5;

interface Case {
  name: string;
  cfg: DiTConfig;
  weights: Float32Array;
  xt: Float32Array;
  t: Float32Array;
  tPrime: Float32Array | null;
  /** The official implementation's logits, where the fixture has them. */
  official?: Float32Array;
}

/** The studio's logits: the DiT on the CPU reference backend. */
async function studioLogits(c: Case, weights = c.weights): Promise<Float32Array> {
  const be = new CpuBackend(), B = c.t.length;
  const m = new DiT(be, c.cfg, B, { inference: true });
  be.write(m.params, weights);
  be.write(m.x, c.xt);
  be.write(m.t, c.t);
  if (m.tPrime && c.tPrime) be.write(m.tPrime, c.tPrime);
  m.forward();
  return be.read(m.logits);
}

type Ort = typeof ortNode | typeof ortWeb;

async function ortLogits(ort: Ort, bytes: Uint8Array, c: Case, items?: number[]): Promise<Float32Array> {
  const { length: L, vocab: V } = c.cfg;
  const pick = (a: Float32Array, per: number) => items ? Float32Array.from(items.flatMap((i) => Array.from(a.subarray(i * per, (i + 1) * per)))) : a;
  const B = items ? items.length : c.t.length;
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ortNode.Tensor> = {
      xt: new ort.Tensor('float32', pick(c.xt, L * V), [B, L, V]) as ortNode.Tensor,
      t: new ort.Tensor('float32', pick(c.t, 1), [B]) as ortNode.Tensor,
    };
    if (c.cfg.twoTime) feeds.t_prime = new ort.Tensor('float32', pick(c.tPrime!, 1), [B]) as ortNode.Tensor;
    const out = await session.run(feeds as never);
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

function officialFixtureCase(file: string): Case {
  const f = readSafetensors(new Uint8Array(readFileSync(`${root}test/fixtures/official-dit/${file}`)));
  const cfg = configOfFixture(f);
  const get = (n: string) => toFloat32(f.tensors.get(n)!);
  return {
    name: file, cfg, weights: fixtureParams(paramLayout(cfg), cfg, f),
    xt: get('xt'), t: get('t'), tPrime: f.tensors.has('t_prime') ? get('t_prime') : null, official: get('logits'),
  };
}

function ckptCase(name: string): Case {
  const { checkpoint } = loadModelFile(`${root}test/fixtures/official-ckpt/${name}.ckpt`);
  const f = readSafetensors(new Uint8Array(readFileSync(`${root}test/fixtures/official-ckpt/${name}.expected.safetensors`)));
  const get = (n: string) => toFloat32(f.tensors.get(n)!);
  return {
    name: `${name}.ckpt`, cfg: checkpoint.config, weights: modelWeights(checkpoint),
    xt: get('xt'), t: get('t'), tPrime: f.tensors.has('t_prime') ? get('t_prime') : null, official: get('logits'),
  };
}

/** A bundled model on a noisy state: x = (1 − γ)ε + γ·onehot, batch 2. */
function bundledCase(file: string): { c: Case; ckpt: Checkpoint } {
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(`${root}public/models/${file}`)));
  const cfg = ckpt.config, B = 2, L = cfg.length, V = cfg.vocab;
  const eps = randomArray(B * L * V, 7, 1.7);
  const xt = new Float32Array(B * L * V);
  const gamma = [0.3, 0.8];
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
    const tok = (b * 31 + l * 7) % V;
    for (let v = 0; v < V; v++) {
      const i = (b * L + l) * V + v;
      xt[i] = (1 - gamma[b]) * eps[i] + (v === tok ? gamma[b] : 0);
    }
  }
  return {
    ckpt,
    c: { name: file, cfg, weights: modelWeights(ckpt), xt, t: Float32Array.of(0.25, 0.9), tPrime: cfg.twoTime ? Float32Array.of(0.6, 1) : null },
  };
}

/** A decoded model's graph (decoded messages have every repeated field). */
const graphOf = (m: onnx.ModelProto) => m.graph as onnx.GraphProto;

/** A model of odd shapes with random weights everywhere (no zero-initialised layer), on random inputs. */
function randomCase(name: string, partial: Partial<DiTConfig> & Pick<DiTConfig, 'vocab'>, seed: number): Case {
  const cfg = defaultConfig(partial), B = 3;
  const layout = paramLayout(cfg), weights = new Float32Array(layout.total);
  for (const s of layout.specs) weights.set(s.init.kind === 'ones' ? new Float32Array(s.size).fill(1) : randomArray(s.size, seed + s.offset, 0.4), s.offset);
  const n = B * cfg.length * cfg.vocab;
  return {
    name, cfg, weights, xt: randomArray(n, seed + 1, 1.5), t: Float32Array.of(0, 0.37, 1),
    tPrime: cfg.twoTime ? Float32Array.of(1, 0.8, 1) : null,
  };
}

const report: string[] = [];
afterAll(() => { if (report.length) console.log(`ONNX parity (relative L2 of logits)\n${report.join('\n')}`); });

/** Export f32 and f16, run on both runtimes, compare with the studio. */
async function checkCase(c: Case): Promise<void> {
  const studio = await studioLogits(c);
  const f32 = encodeModel(buildDiTGraph(c.cfg, c.weights).model('t', '', {}));
  const f16 = encodeModel(buildDiTGraph(c.cfg, c.weights, true).model('t', '', {}));
  const node32 = await ortLogits(ortNode, f32, c);
  const web32 = await ortLogits(ortWeb, f32, c);
  const node16 = await ortLogits(ortNode, f16, c);
  const studio16 = await studioLogits(c, roundToHalfArray(c.weights));
  const e = {
    node: relL2(node32, studio), web: relL2(web32, studio),
    f16: relL2(node16, studio16), f16VsF32: relL2(node16, studio),
    official: c.official ? relL2(node32, c.official) : NaN,
  };
  report.push(`${c.name.padEnd(34)} node ${e.node.toExponential(2)}  web ${e.web.toExponential(2)}  ` +
    `f16 (vs f16 weights) ${e.f16.toExponential(2)}  f16 vs f32 ${e.f16VsF32.toExponential(2)}` +
    (c.official ? `  node vs official ${e.official.toExponential(2)}` : ''));
  expect(e.node).toBeLessThanOrEqual(TOL);
  expect(e.web).toBeLessThanOrEqual(TOL);
  expect(e.f16).toBeLessThanOrEqual(TOL);
  expect(e.f16VsF32).toBeLessThan(1e-2);
  if (c.official) expect(e.official).toBeLessThanOrEqual(TOL);
  // The batch dimension is dynamic: one item alone gives that item's logits.
  if (c.t.length > 1) {
    const per = c.cfg.length * c.cfg.vocab, last = c.t.length - 1;
    const one = await ortLogits(ortNode, f32, c, [last]);
    expect(relL2(one, node32.subarray(last * per, (last + 1) * per))).toBeLessThan(1e-6);
  }
}

describe('ONNX export: logits from onnxruntime-node and onnxruntime-web against the studio', () => {
  for (const file of ['dit_flm.safetensors', 'dit_flowmap.safetensors', 'dit_softcap.safetensors']) {
    it(`official fixture ${file}`, async () => { await checkCase(officialFixtureCase(file)); });
  }
  for (const name of ['flm', 'fmlm', 'flm_bf16']) {
    it(`official Lightning checkpoint ${name}.ckpt (EMA weights)`, async () => { await checkCase(ckptCase(name)); });
  }
  it('odd shapes: no softcap, two times, loss weighting (left out), MLP ratio 2, one block', async () => {
    await checkCase(randomCase('random V5 L3 D8 softcap 0', { vocab: 5, length: 3, hidden: 8, heads: 2, blocks: 1, cond: 4, softcap: 0, twoTime: true, lossWeighting: true, mlpRatio: 2 }, 101));
  });
  it('odd shapes: causal, softcap 3 (active), head size 4, three blocks', async () => {
    await checkCase(randomCase('random V11 L7 D12 causal cap 3', { vocab: 11, length: 7, hidden: 12, heads: 3, blocks: 3, cond: 6, softcap: 3, causal: true }, 202));
  });
  const bundled = readdirSync(`${root}public/models`).filter((f) => f.endsWith('.safetensors')).sort();
  it('finds the bundled models', () => { expect(bundled.length).toBeGreaterThanOrEqual(3); });
  for (const file of bundled) {
    it(`bundled model ${file}`, async () => { await checkCase(bundledCase(file).c); });
  }
});

describe('ONNX export: the file', () => {
  const { ckpt } = bundledCase('fmlm-micro-char.safetensors');

  it('uses only default-domain operators at opset 17 (IR 8), with float or float16 initializers', () => {
    const allowed = new Set([
      'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div', 'Sigmoid', 'Tanh', 'Cos', 'Sin', 'Concat', 'Slice', 'Split',
      'Squeeze', 'Unsqueeze', 'Reshape', 'Transpose', 'Softmax', 'LayerNormalization', 'Cast',
    ]);
    for (const f16 of [false, true]) {
      const m = decodeModel(exportOnnx(ckpt, { f16 }).bytes);
      expect(Number(m.irVersion)).toBe(ONNX_IR_VERSION);
      expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
      const ops = new Set(graphOf(m).node.map((n) => n.opType!));
      for (const op of ops) expect(allowed.has(op), op).toBe(true);
      expect(ops.has('Cast')).toBe(f16);
      for (const n of graphOf(m).node) expect(n.domain ?? '').toBe('');
      const types = new Set(graphOf(m).initializer.map((t) => t.dataType));
      // 1 float, 7 int64 (shapes and axes), 10 float16
      expect([...types].sort((a, b) => a! - b!)).toEqual(f16 ? [1, 7, 10] : [1, 7]);
      expect(graphOf(m).input.map((i) => i.name)).toEqual(['xt', 't', 't_prime']);
      const dims = graphOf(m).input[0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
      expect(dims).toEqual(['batch', ckpt.config.length, ckpt.config.vocab]);
      expect(graphOf(m).output.map((o) => o.name)).toEqual(['logits']);
    }
  });

  it('keeps the official weight names and the EMA weights', () => {
    const m = decodeModel(exportOnnx(ckpt).bytes);
    const names = new Set(graphOf(m).initializer.map((t) => t.name));
    for (const s of paramLayout(ckpt.config).specs) {
      if (s.name.startsWith('learnable_loss_weighting.')) expect(names.has(s.name)).toBe(false);
      else expect(names.has(s.name), s.name).toBe(true);
    }
    const spec = paramLayout(ckpt.config).byName.get('blocks.0.attn_qkv.weight')!;
    const init = graphOf(m).initializer.find((t) => t.name === spec.name)!;
    const raw = init.rawData!;
    const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(got).toEqual(modelWeights(ckpt).subarray(spec.offset, spec.offset + spec.size));
    expect(exportOnnx(ckpt).weights).toBe(ckpt.ema ? 'ema' : 'raw');
    if (ckpt.ema) {
      const rawExport = graphOf(decodeModel(exportOnnx(ckpt, { weights: 'raw' }).bytes)).initializer.find((t) => t.name === spec.name)!.rawData!;
      expect(new Float32Array(rawExport.buffer.slice(rawExport.byteOffset, rawExport.byteOffset + rawExport.byteLength)))
        .toEqual(ckpt.params.subarray(spec.offset, spec.offset + spec.size));
    }
  });

  it('carries the config, kind and tokenizer in metadata_props, and the caller\'s extra entries', async () => {
    const r = exportOnnx(ckpt, { metadata: { 'flm.extra': 'x' } });
    const meta = readOnnxMetadata(r.bytes);
    expect(JSON.parse(meta[ONNX_META.config])).toEqual(ckpt.config);
    expect(meta[ONNX_META.kind]).toBe('fmlm');
    expect(JSON.parse(meta[ONNX_META.tokenizer])).toEqual(ckpt.meta.tokenizer);
    expect(meta[ONNX_META.dtype]).toBe('float32');
    expect(meta['flm.extra']).toBe('x');
    // onnxruntime reads the same entries.
    const s = await ortNode.InferenceSession.create(r.bytes);
    await s.release();
  });

  it('float16: round to nearest even, subnormals, overflow refused', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(fromHalfBits(toHalfBits(2 ** -24))).toBe(2 ** -24);
    expect(fromHalfBits(toHalfBits(1 + 2 ** -11))).toBe(1); // a tie rounds to even
    expect(fromHalfBits(toHalfBits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(fromHalfBits(toHalfBits(0.1))).toBeCloseTo(0.1, 4);
    const big = new Float32Array(paramLayout(ckpt.config).total);
    big.set(modelWeights(ckpt));
    big[paramLayout(ckpt.config).byName.get('vocab_embed.embedding')!.offset] = 1e6;
    expect(() => exportOnnx({ ...ckpt, ema: big, params: big }, { f16: true })).toThrow(/vocab_embed\.embedding.*float16/);
  });
});
