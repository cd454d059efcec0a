/**
 * The page `npm run bench:peers` drives in headless Chromium (bench/peers.html):
 * one forward pass and one one-step FMLM sample of a model on the studio's
 * backends (CPU reference, wasm, WebGPU) and on onnxruntime-web (WebAssembly
 * provider with the page's thread count, WebGPU provider) running the
 * studio's ONNX export of the same weights. `?threads=N` sets onnxruntime's
 * wasm threads (it reads the setting once per page). Exposes `window.peers`.
 */
// The WebAssembly provider from the wasm-only build (the plain SIMD-threaded binary); the WebGPU
// provider from the default build (JSEP: the same CPU kernels compiled with asyncify, slower on wasm).
import * as ortWasm from 'onnxruntime-web/wasm';
import * as ortGpu from 'onnxruntime-web';
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { gaussian } from '../src/engine/reference/noise.ts';
import { softmax } from '../src/engine/reference/softmax.ts';
import { WasmBackend } from '../src/engine/wasm/wasmBackend.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { STREAM } from '../src/flm/random.ts';
import { argmaxRows, EulerSampler } from '../src/flm/sampler.ts';
import { decodeCheckpoint } from '../src/io/checkpoint.ts';
import { buildDiTGraph, encodeModel } from '../src/io/onnx/index.ts';
import { defaultConfig, type DiTConfig } from '../src/model/config.ts';
import { DiT } from '../src/model/dit.ts';
import { paramLayout } from '../src/model/layout.ts';
import { modelWeights } from '../src/model/weights.ts';

const threads = Number(new URLSearchParams(location.search).get('threads') ?? '1');
for (const ort of [ortWasm, ortGpu]) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
}

export interface PeerModel { name: string; config: DiTConfig; weights: Float32Array }
export interface PeerRow {
  model: string; parameters: number; batch: number;
  runtime: 'studio' | 'onnxruntime-web'; provider: string; threads: number; device: string;
  /** Medians over the runs, and the fastest run (less sensitive to a loaded machine). */
  forward_ms?: number; sample_ms?: number; forward_min_ms?: number; sample_min_ms?: number;
  runs?: { forward: number; sample: number };
  /** The studio's CPU and wasm backends: milliseconds per op in one eager forward pass. */
  ops_ms?: Record<string, number>;
  error?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Median ms of `fn` after one warm-up call: at least 3 runs (1 when the
 * warm-up alone took longer than the budget), more while under `budgetMs`
 * (at most 20).
 */
async function timeIt(fn: () => Promise<unknown>, budgetMs: number): Promise<{ ms: number; min: number; runs: number }> {
  const w0 = performance.now();
  await fn();
  const least = performance.now() - w0 > budgetMs ? 1 : 3;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < least || (times.length < 20 && performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), min: Math.min(...times), runs: times.length };
}

/** Deterministic small weights (timing only; norms at 1). */
function randomWeights(cfg: DiTConfig): Float32Array {
  const layout = paramLayout(cfg), w = new Float32Array(layout.total);
  let s = 12345;
  for (const spec of layout.specs) {
    const dst = w.subarray(spec.offset, spec.offset + spec.size);
    if (spec.init.kind === 'ones') { dst.fill(1); continue; }
    for (let i = 0; i < dst.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; dst[i] = (s / 2 ** 32 - 0.5) * 0.1; }
  }
  return w;
}

async function loadModel(name: string): Promise<PeerModel> {
  if (name === 'micro') {
    const bytes = new Uint8Array(await (await fetch('/models/fmlm-micro-char.safetensors')).arrayBuffer());
    const ckpt = decodeCheckpoint(bytes);
    return { name: 'fmlm-micro-char (bundled)', config: ckpt.config, weights: modelWeights(ckpt) };
  }
  // A few million parameters: the `small` preset's shape as a two-time FMLM, random weights.
  const config = defaultConfig({ vocab: 82, length: 128, hidden: 256, heads: 8, blocks: 6, cond: 128, twoTime: true, softcap: 50 });
  return { name: 'fmlm L128 D256 6 blocks (random weights)', config, weights: randomWeights(config) };
}

function inputs(cfg: DiTConfig, batch: number) {
  const n = batch * cfg.length * cfg.vocab, x = new Float32Array(n);
  gaussian(x, n, 1, STREAM.sampleNoise);
  return { x, t: new Float32Array(batch).fill(0), tPrime: new Float32Array(batch).fill(1) };
}

async function studioRow(m: PeerModel, provider: 'cpu' | 'wasm' | 'webgpu', batch: number, budgetMs: number): Promise<PeerRow> {
  const row: PeerRow = {
    model: m.name, parameters: paramLayout(m.config).count, batch, runtime: 'studio', provider, threads: 1, device: '',
  };
  let b: Backend | null = null;
  try {
    b = provider === 'cpu' ? new CpuBackend() : provider === 'wasm' ? await WasmBackend.create() : await GpuBackend.create();
    row.device = b.description;
    const weights = b.tensor(m.weights.length, 'weights');
    b.write(weights, m.weights);
    const model = new DiT(b, m.config, batch, { params: weights, inference: true });
    const inp = inputs(m.config, batch);
    b.write(model.x, inp.x);
    b.write(model.t, inp.t);
    if (model.tPrime) b.write(model.tPrime, inp.tPrime);
    const prog = b.compile(() => model.forward());
    const be = b;
    const f = await timeIt(async () => { prog.run(); await be.read(model.logits); }, budgetMs);
    const sampler = new EulerSampler(b, m.config, batch, weights);
    let seed = 0;
    const s = await timeIt(() => sampler.sample(1, seed++), budgetMs);
    Object.assign(row, { forward_ms: f.ms, sample_ms: s.ms, forward_min_ms: f.min, sample_min_ms: s.min, runs: { forward: f.runs, sample: s.runs } });
    if (provider !== 'webgpu') row.ops_ms = opProfile(b, model);
    sampler.release();
    model.release();
  } catch (e) {
    row.error = (e as Error).message;
  } finally {
    b?.destroy();
  }
  return row;
}

/** One eager forward pass with each op timed (the CPU and wasm backends run an op when it is called outside compile). */
function opProfile(b: Backend, model: DiT): Record<string, number> {
  const ops = b.ops as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = { ...ops };
  const out: Record<string, number> = {};
  for (const [k, fn] of Object.entries(saved)) {
    if (typeof fn !== 'function') continue;
    ops[k] = (...a: unknown[]) => {
      const t0 = performance.now();
      const r = fn(...a);
      out[k] = (out[k] ?? 0) + performance.now() - t0;
      return r;
    };
  }
  try {
    model.forward();
  } finally {
    Object.assign(ops, saved);
  }
  return out;
}

async function ortRow(m: PeerModel, provider: 'wasm' | 'webgpu', batch: number, budgetMs: number): Promise<PeerRow> {
  const row: PeerRow = {
    model: m.name, parameters: paramLayout(m.config).count, batch, runtime: 'onnxruntime-web', provider,
    threads: provider === 'wasm' ? threads : 1, device: provider === 'wasm' ? `WebAssembly SIMD (wasm build), ${threads} thread${threads > 1 ? 's' : ''}${crossOriginIsolated ? '' : ' (not cross-origin isolated)'}` : 'WebGPU (JSEP build)',
  };
  try {
    const ort = provider === 'wasm' ? ortWasm : ortGpu;
    const bytes = encodeModel(buildDiTGraph(m.config, m.weights).model('flm_dit', '', {}));
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
    const { length: L, vocab: V, twoTime } = m.config, rows = batch * L, n = rows * V;
    const inp = inputs(m.config, batch);
    const run = (x: Float32Array, t: Float32Array, tp: Float32Array) => session.run({
      xt: new ort.Tensor('float32', x, [batch, L, V]), t: new ort.Tensor('float32', t, [batch]),
      ...(twoTime ? { t_prime: new ort.Tensor('float32', tp, [batch]) } : {}),
    });
    const f = await timeIt(() => run(inp.x, inp.t, inp.tPrime), budgetMs);
    // One-step sample: the studio's noise and softmax on the host, the network on onnxruntime.
    const z = new Float32Array(n), p = new Float32Array(n);
    let seed = 0;
    const s = await timeIt(async () => {
      gaussian(z, n, seed++, STREAM.sampleNoise);
      const out = await run(z, inp.t, inp.tPrime);
      softmax(p, out.logits.data as Float32Array, rows, V);
      return argmaxRows(p, rows, V);
    }, budgetMs);
    Object.assign(row, { forward_ms: f.ms, sample_ms: s.ms, forward_min_ms: f.min, sample_min_ms: s.min, runs: { forward: f.runs, sample: s.runs } });
    await session.release();
  } catch (e) {
    row.error = (e as Error).message;
  }
  return row;
}

export interface PeersRequest { model: 'micro' | 'few-million'; batch: number; budgetMs: number; what: ('studio-cpu' | 'studio-wasm' | 'studio-webgpu' | 'ort-wasm' | 'ort-webgpu')[] }

async function run(req: PeersRequest): Promise<PeerRow[]> {
  const m = await loadModel(req.model);
  const rows: PeerRow[] = [];
  for (const w of req.what) {
    if (w === 'studio-cpu') rows.push(await studioRow(m, 'cpu', req.batch, req.budgetMs));
    if (w === 'studio-wasm') rows.push(await studioRow(m, 'wasm', req.batch, req.budgetMs));
    if (w === 'studio-webgpu') rows.push(await studioRow(m, 'webgpu', req.batch, req.budgetMs));
    if (w === 'ort-wasm') rows.push(await ortRow(m, 'wasm', req.batch, req.budgetMs));
    if (w === 'ort-webgpu') rows.push(await ortRow(m, 'webgpu', req.batch, req.budgetMs));
  }
  return rows;
}

(window as unknown as { peers: unknown }).peers = { run, threads, crossOriginIsolated, cores: navigator.hardwareConcurrency };
document.body.dataset.ready = '1';
