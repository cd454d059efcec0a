/**
 * The measurement of `npm run bench:paper-size` (bench/paper-size.ts), shared
 * by Node and the headless-Chromium page (bench/paper-size-page.ts): a
 * randomly initialised DiT of one of the paper's shapes, as an FMLM
 * (two-time), put on a WebGPU backend and sampled in one step through the
 * SamplingSession with frame summaries computed on the device. Reports time,
 * peak device memory (the sum of live buffers: ctx.peakAllocatedBytes), the
 * bytes read back, and the limits asked for and granted.
 */
import { setMaxBindingBytes } from '../src/engine/kernels/kernel.ts';
import type { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { defaultMeta } from '../src/io/checkpoint.ts';
import { defaultConfig, type DiTConfig } from '../src/model/config.ts';
import { paramLayout } from '../src/model/layout.ts';
import type { FrameSummary } from '../src/sampling/frames.ts';
import { SamplingSession } from '../src/sampling/session.ts';

/** The paper's shapes (spec: OWT and LM1B), two-time (FMLM). */
export const SHAPES: Record<'owt' | 'lm1b', DiTConfig> = {
  owt: defaultConfig({ vocab: 50258, length: 1024, hidden: 768, heads: 12, blocks: 12, cond: 128, twoTime: true }),
  lm1b: defaultConfig({ vocab: 30522, length: 128, hidden: 768, heads: 12, blocks: 12, cond: 128, twoTime: true }),
};

export interface PaperSizeRequest {
  shape: keyof typeof SHAPES;
  weights: 'f32' | 'f16';
  /** Candidates per position in the frames. */
  k: number;
  seed: number;
  /** Sample a second time (pipelines then cached). */
  repeat: boolean;
  /** Act as a device with a smaller maxStorageBufferBindingSize (bytes), e.g. the 128 MiB default: the chunked paths run. */
  maxBindingBytes?: number;
}

export interface PaperSizeResult {
  where: string;
  shape: string;
  config: DiTConfig;
  parameters: number;
  weights: 'f32' | 'f16';
  weight_bytes: number;
  adapter: string;
  fallback_adapter: boolean;
  /** What the engine asked for (the adapter's limits) and what the device granted. */
  limits_requested: Record<string, number>;
  limits_granted: Record<string, number>;
  /** The binding limit the run acted under, when lowered below the granted one. */
  binding_limit_simulated: number | null;
  features: string[];
  init_ms: number;
  upload_ms: number;
  /** The first one-step sample, pipelines created on the way, and the second (repeat). */
  first_step_ms: number;
  pipelines_created: number;
  second_step_ms: number | null;
  /** Device memory: peak of all buffers alive at once from the upload on; after the upload; the plan's estimate of sampling's own buffers. */
  peak_device_bytes: number;
  after_upload_bytes: number;
  planned_work_bytes: number;
  /** Bytes read back per sampling run (frames and tokens), and what one [L, V] tensor would be. */
  read_back_bytes_per_run: number;
  lv_tensor_bytes: number;
  frames: number;
  tokens_head: number[];
  top_k_position0: { ids: number[]; probs: number[] };
  mean_entropy: number;
}

/** Uniform weights of ±1/√fanIn everywhere (output layer and adaLN too, so the prediction is not flat), norms 1. */
function randomWeights(cfg: DiTConfig, seed: number): Float32Array {
  const layout = paramLayout(cfg);
  const out = new Float32Array(layout.total);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (const p of layout.specs) {
    const v = out.subarray(p.offset, p.offset + p.size);
    if (p.name.includes('norm')) { v.fill(1); continue; }
    const bound = 1 / Math.sqrt(p.shape[p.shape.length - 1]);
    for (let i = 0; i < v.length; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      v[i] = ((s >>> 0) / 4294967296 * 2 - 1) * bound;
    }
  }
  return out;
}

export async function runPaperSize(gpu: GpuBackend, req: PaperSizeRequest, where: string, log: (s: string) => void): Promise<PaperSizeResult> {
  const cfg = SHAPES[req.shape];
  const layout = paramLayout(cfg);
  const ctx = gpu.ctx;
  if (req.maxBindingBytes) setMaxBindingBytes(ctx, req.maxBindingBytes);
  log(`${req.shape}: ${(layout.count / 1e6).toFixed(1)}M parameters, V=${cfg.vocab} L=${cfg.length} D=${cfg.hidden} H=${cfg.heads} C=${cfg.cond} ${cfg.blocks} blocks, ${req.weights} weights, on ${gpu.description}` +
    (req.maxBindingBytes ? `, bindings limited to ${req.maxBindingBytes / 2 ** 20} MiB` : ''));
  let t = performance.now();
  const params = randomWeights(cfg, req.seed);
  const initMs = performance.now() - t;
  ctx.trimPool();
  ctx.resetPeaks();
  const base = ctx.allocatedBytes;
  t = performance.now();
  let lastLog = 0;
  const session = await SamplingSession.open(gpu, { config: cfg, meta: { ...defaultMeta(cfg), kind: 'fmlm' }, params }, {
    weights: req.weights,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastLog > 2000 || p.loaded === p.total) { lastLog = now; log(`  upload ${p.what}: ${(p.loaded / 1e6).toFixed(0)} / ${((p.total ?? 0) / 1e6).toFixed(0)} MB`); }
    },
  });
  const uploadMs = performance.now() - t;
  const afterUpload = ctx.allocatedBytes - base;
  log(`  weights on the device in ${(uploadMs / 1000).toFixed(1)} s: ${(session.weightBytes / 1e6).toFixed(0)} MB`);
  const plan = session.memoryPlan(1);
  log(`  plan for one sequence: ${(plan.workBytes! / 1e6).toFixed(0)} MB besides the weights (largest buffer ${plan.largest.label}, ${(plan.largest.bytes / 1e6).toFixed(0)} MB)`);
  const settings = { steps: 1, seed: req.seed, count: 1, k: req.k };
  const frames: FrameSummary[] = [];
  const pipelines0 = ctx.pipelineCount, read0 = ctx.readBackBytes;
  t = performance.now();
  const run = await session.run(settings, (f) => { frames.push(f); log(`  frame ${f.step}: t = ${f.t}`); });
  const firstMs = performance.now() - t;
  const readBack = ctx.readBackBytes - read0;
  const pipelines = ctx.pipelineCount - pipelines0;
  log(`  one-step sample with frames: ${(firstMs / 1000).toFixed(1)} s (${pipelines} pipelines created), read back ${readBack} bytes`);
  let secondMs: number | null = null;
  if (req.repeat) {
    t = performance.now();
    await session.run(settings, () => {});
    secondMs = performance.now() - t;
    log(`  again (pipelines cached): ${(secondMs / 1000).toFixed(1)} s`);
  }
  const peak = ctx.peakAllocatedBytes - base;
  const last = frames[frames.length - 2] ?? frames[0];
  const result: PaperSizeResult = {
    where, shape: req.shape, config: cfg, parameters: layout.count, weights: req.weights, weight_bytes: session.weightBytes,
    adapter: gpu.description, fallback_adapter: gpu.summary.isFallbackAdapter,
    limits_requested: gpu.summary.adapterLimits, limits_granted: gpu.summary.limits, features: gpu.summary.features,
    binding_limit_simulated: req.maxBindingBytes ?? null,
    init_ms: Math.round(initMs), upload_ms: Math.round(uploadMs), first_step_ms: Math.round(firstMs), pipelines_created: pipelines,
    second_step_ms: secondMs === null ? null : Math.round(secondMs),
    peak_device_bytes: peak, after_upload_bytes: afterUpload, planned_work_bytes: plan.workBytes!,
    read_back_bytes_per_run: readBack, lv_tensor_bytes: cfg.length * cfg.vocab * 4,
    frames: frames.length, tokens_head: run.tokens[0].slice(0, 16),
    top_k_position0: { ids: [...last.pIds.subarray(0, last.k)], probs: [...last.pProbs.subarray(0, last.k)] },
    mean_entropy: last.entropy.reduce((a, b) => a + b, 0) / last.entropy.length,
  };
  session.release();
  ctx.trimPool();
  setMaxBindingBytes(ctx, null);
  return result;
}
