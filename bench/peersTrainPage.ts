/**
 * The training page `npm run bench:peers` drives in headless Chromium
 * (bench/peersTrain.html): FLM training steps of the same DiT
 *   - with the studio's trainer (createTrainer → FlmTrainer.trainStep, as the
 *     Train view runs it) on its CPU reference, wasm and WebGPU backends;
 *   - with the DiT written in TensorFlow.js ops (bench/tfjsDit.ts) on
 *     TF.js's wasm, webgpu and cpu backends.
 * Both see the same batches (the studio's batcher over the same character
 * stream) and the same times. `?tfthreads=N` sets TF.js wasm's threads (read
 * once, when its backend starts). Exposes `window.peersTrain`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { Batcher } from '../src/data/batcher.ts';
import { antitheticTimes, CounterRng, STREAM } from '../src/flm/random.ts';
import { TimeMap } from '../src/flm/timeMap.ts';
import type { DiTConfig } from '../src/model/config.ts';
import { DiT } from '../src/model/dit.ts';
import { paramLayout } from '../src/model/layout.ts';
import {
  baseRow, finish, isOom, tokens, trainConfig, timeSteps, TRAIN_CONFIGS,
  type TrainConfigName, type TrainRow, type TrainRunner,
} from './peersTrainStudio.ts';
import type { StudioTrainRequest } from './peersTrainWorker.ts';
import { TfDiT } from './tfjsDit.ts';

export type { TrainConfigName, TrainRow, TrainRunner } from './peersTrainStudio.ts';

const cores = navigator.hardwareConcurrency;
const tfThreads = Number(new URLSearchParams(location.search).get('tfthreads') ?? cores);
// The .wasm files from this Vite server (node_modules), never a CDN; the threaded SIMD build when isolated.
setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
setThreadsCount(tfThreads);
// TF.js wasm caps its threads at hardwareConcurrency / 2 (it assumes two logical cores per physical
// core), which is one thread on a 2-core machine: report 2·N so that the N threads asked for start.
if (tfThreads > 1) Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 2 * tfThreads, configurable: true });

/** Logits of the studio's CPU reference for random weights and inputs (batch 2), to check the TF.js DiT against. */
function parityCase(cfg: DiTConfig) {
  const layout = paramLayout(cfg), w = new Float32Array(layout.total);
  let s = 12345;
  const r = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  for (const spec of layout.specs) {
    const dst = w.subarray(spec.offset, spec.offset + spec.size);
    for (let i = 0; i < dst.length; i++) dst[i] = spec.init.kind === 'ones' ? 1 + 0.2 * r() : 0.3 * r();
  }
  const B = 2, x = Float32Array.from({ length: B * cfg.length * cfg.vocab }, () => 2 * r()), t = Float32Array.of(0.3, 0.8);
  const b = new CpuBackend(), wt = b.tensor(w.length, 'w');
  b.write(wt, w);
  const model = new DiT(b, cfg, B, { params: wt, inference: true });
  b.write(model.x, x);
  b.write(model.t, t);
  b.compile(() => model.forward()).run();
  return { weights: new Map(layout.specs.map((sp) => [sp.name, w.slice(sp.offset, sp.offset + sp.size)])), x, t, B, logits: b.read(model.logits) };
}

/**
 * TF.js wasm allocates every tensor with its module's malloc, which returns
 * 0 once the memory cannot grow (4 GiB) and goes on writing at address 0.
 * Make that an error, thrown from the allocating op, saying so.
 */
function failLoudlyOutOfMemory(): void {
  const w = (tf.backend() as unknown as { wasm: { _malloc: (n: number) => number; HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory } }).wasm;
  if ((w._malloc as { checked?: boolean }).checked) return;
  const malloc = w._malloc.bind(w);
  let logged = 0;
  const checked = (n: number) => {
    const p = malloc(n);
    // Log each growth of its memory past another half GiB (progress while a step runs for minutes).
    const size = w.wasmMemory?.buffer.byteLength ?? w.HEAPU8.buffer.byteLength;
    if (size >= logged + 2 ** 29) {
      logged = size;
      console.log(`# TF.js wasm memory ${(size / 2 ** 30).toFixed(2)} GiB`);
    }
    if (p === 0 && n > 0) {
      const heap = w.wasmMemory?.buffer.byteLength ?? w.HEAPU8.buffer.byteLength;
      throw new Error(`out of memory: TF.js wasm could not allocate ${(n / 2 ** 20).toFixed(1)} MiB with ${(heap / 2 ** 30).toFixed(2)} GiB in use (WebAssembly's limit is 4 GiB)`);
    }
    return p;
  };
  w._malloc = Object.assign(checked, { checked: true });
}

async function tfRow(name: TrainConfigName, kind: 'wasm' | 'webgpu' | 'cpu', budgetMs: number, minTimed: number): Promise<TrainRow> {
  const row = baseRow(name, 'tfjs', kind);
  const { config: cfg, batch: B } = TRAIN_CONFIGS[name], train = trainConfig(name);
  let model: TfDiT | null = null;
  try {
    if (!(await tf.setBackend(kind))) throw new Error(`TF.js could not start its ${kind} backend`);
    await tf.ready();
    row.threads = kind === 'wasm' ? getThreadsCount() : 1;
    if (kind === 'wasm') failLoudlyOutOfMemory();
    row.device = kind === 'wasm'
      ? `TF.js ${tf.version_core} wasm (${crossOriginIsolated && row.threads > 1 ? 'threaded SIMD' : 'SIMD'}), ${row.threads} thread${row.threads > 1 ? 's' : ''}`
      : `TF.js ${tf.version_core} ${kind}`;
    if (name === 'micro') {
      const p = parityCase(cfg), ref = await p.logits;
      const check = new TfDiT(cfg);
      check.load(p.weights);
      const out = tf.tidy(() => check.forward(tf.tensor3d(p.x, [p.B, cfg.length, cfg.vocab]), tf.tensor1d(p.t)));
      const got = await out.data();
      out.dispose();
      check.dispose();
      row.parity_max_abs = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
    }
    model = new TfDiT(cfg, train.seed);
    if (model.parameterCount !== row.parameters) throw new Error(`TF.js DiT has ${model.parameterCount} parameters, expected ${row.parameters}`);
    const data = await tokens(cfg.vocab), batcher = new Batcher(data.train, cfg.length, B, train.seed), timeMap = new TimeMap(cfg.vocab);
    const m = model;
    let step = 0;
    finish(row, await timeSteps(async () => {
      const t = antitheticTimes(new CounterRng(train.seed, STREAM.trainTimes, step++), B, train.tMin, train.tMax);
      const gamma = Float32Array.from(t, (x) => timeMap.gamma(x));
      const loss = m.trainStep(Int32Array.from(batcher.next()), t, gamma, train);
      const [l] = await loss.data();
      loss.dispose();
      return l;
    }, budgetMs, minTimed, `${name} TF.js ${kind} ×${row.threads}`));
  } catch (e) {
    if (isOom(e)) row.outcome = 'out of memory';
    row.error = String((e as Error)?.message ?? e).slice(0, 300);
  } finally {
    try { model?.dispose(); } catch { /* a failed backend */ }
  }
  return row;
}

export interface TrainRequest { config: TrainConfigName; what: TrainRunner[]; budgetMs: number; minTimed: number }

/** The studio's trainer in a worker of its own (terminated after: its memory goes with it). */
function studioInWorker(req: StudioTrainRequest): Promise<TrainRow> {
  const worker = new Worker(new URL('./peersTrainWorker.ts', import.meta.url), { type: 'module' });
  return new Promise<TrainRow>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<TrainRow>) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(`training worker: ${e.message}`));
    worker.postMessage(req);
  }).finally(() => worker.terminate());
}

async function run(req: TrainRequest): Promise<TrainRow[]> {
  const rows: TrainRow[] = [];
  for (const w of req.what) {
    const [runtime, kind, mt] = w.split('-') as ['studio' | 'tfjs', 'cpu' | 'wasm' | 'webgpu', string?];
    rows.push(runtime === 'studio'
      ? await studioInWorker({ config: req.config, kind, threads: mt ? cores : 1, budgetMs: req.budgetMs, minTimed: req.minTimed })
      : await tfRow(req.config, kind, req.budgetMs, req.minTimed));
  }
  return rows;
}

/** What TF.js wasm found: SIMD, threads (SharedArrayBuffer and atomics), and the threads its backend started. */
async function probe() {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  await tf.setBackend('wasm');
  return { crossOriginIsolated, simd, mt, threads: getThreadsCount(), requested: tfThreads };
}

(window as unknown as { peersTrain: unknown }).peersTrain = { run, probe, tfThreads, crossOriginIsolated, cores };
document.body.dataset.ready = '1';
