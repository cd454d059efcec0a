/**
 * The training half of `npm run bench:peers`, shared by its page
 * (bench/peersTrainPage.ts) and its worker (bench/peersTrainWorker.ts): the
 * two configurations, the character stream both trainers read, step timing,
 * and the studio's rows — its trainer (createTrainer → FlmTrainer.trainStep,
 * as the Train view runs it in its worker) on the CPU reference, wasm (one
 * thread, or a pool of web workers) and WebGPU.
 */
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { WasmBackend } from '../src/engine/wasm/wasmBackend.ts';
import { webSpawn } from '../src/engine/wasm/webWorkers.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { defaultConfig, type DiTConfig } from '../src/model/config.ts';
import { createTrainer, type Trainer } from '../src/run/trainer.ts';
import { REFERENCE_TRAIN, type TrainConfig } from '../src/train/schedule.ts';
import { tfDiTShapes } from './tfjsDit.ts';

export type TrainConfigName = 'micro' | 'small';
/** `studio-wasm-mt`: the studio's wasm backend on one thread per core (a pool of web workers). */
export type TrainRunner = 'studio-cpu' | 'studio-wasm' | 'studio-wasm-mt' | 'studio-webgpu' | 'tfjs-wasm' | 'tfjs-webgpu' | 'tfjs-cpu';

export const TRAIN_CONFIGS: Record<TrainConfigName, { config: DiTConfig; batch: number; lr: number }> = {
  micro: { config: defaultConfig({ vocab: 65, length: 64, hidden: 64, heads: 4, blocks: 4, cond: 32 }), batch: 16, lr: 2e-3 },
  small: { config: defaultConfig({ vocab: 65, length: 128, hidden: 256, heads: 8, blocks: 6, cond: 64 }), batch: 32, lr: 1e-3 },
};

export interface TrainRow {
  config: TrainConfigName; parameters: number; batch: number; tokens_per_step: number;
  runtime: 'studio' | 'tfjs'; backend: string; threads: number; device: string;
  /** Median and fastest training step after one warm-up step (ms), and tokens/s at the median. */
  step_ms?: number; step_min_ms?: number; tokens_per_s?: number; timed_steps?: number;
  /** The warm-up step (compiles pipelines, grows memory). */
  first_step_ms?: number;
  /** Every step's loss, warm-up first; ln V to compare the first with. */
  losses?: number[]; ln_v: number;
  /** The first loss is within 0.05 of ln V and the last is below the first. */
  loss_ok?: boolean;
  /** TF.js only: max |Δ logit| against the studio's CPU reference on the same weights and inputs (micro). */
  parity_max_abs?: number;
  /** 'out of memory' when the run could not allocate; otherwise absent. */
  outcome?: string;
  error?: string;
}

let text: string | null = null;
/** A character stream with V = 65: the corpus's 64 most frequent characters, and one id for the rest. */
export async function tokens(V: number): Promise<{ train: Uint32Array; val: Uint32Array }> {
  text ??= await (await fetch('/corpus/brown.txt')).text();
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const ids = new Map([...counts].sort((a, b) => b[1] - a[1]).slice(0, V - 1).map(([ch], i) => [ch, i]));
  const all = Uint32Array.from(text, (ch) => ids.get(ch) ?? V - 1);
  const cut = Math.floor(all.length * 0.95);
  return { train: all.subarray(0, cut), val: all.subarray(cut) };
}

export function trainConfig(name: TrainConfigName): TrainConfig {
  const c = TRAIN_CONFIGS[name];
  return {
    ...REFERENCE_TRAIN, batch: c.batch, steps: 1000, lr: c.lr, warmup: 0, emaDecay: 0.999,
    evalEvery: 0, evalBatches: 1, dropout: 0, seed: 7,
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Training steps: one warm-up, then at least `minTimed` (1 when the warm-up
 * alone took longer than the budget), more while under `budgetMs` (at most 10).
 */
export async function timeSteps(step: () => Promise<number>, budgetMs: number, minTimed: number, label: string) {
  const losses: number[] = [];
  const w0 = performance.now();
  losses.push(await step());
  const first = performance.now() - w0;
  // Progress on the console (npm run bench:peers shows it): a slow step is visibly running.
  console.log(`# ${label}: warm-up step ${first.toFixed(0)} ms, loss ${losses[0].toFixed(4)}`);
  const least = first > budgetMs ? 1 : minTimed;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < least || (times.length < 10 && performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    losses.push(await step());
    times.push(performance.now() - t0);
    console.log(`# ${label}: step ${times.length} ${times[times.length - 1].toFixed(0)} ms, loss ${losses[losses.length - 1].toFixed(4)}`);
  }
  return { first, ms: median(times), min: Math.min(...times), timed: times.length, losses };
}

export function isOom(e: unknown): boolean {
  return /out of memory|\boom\b|allocat|enlarge memory|memory access out of bounds|Array buffer allocation|RangeError: WebAssembly\.Memory/i.test(String((e as Error)?.message ?? e));
}

export function finish(row: TrainRow, r: Awaited<ReturnType<typeof timeSteps>>): TrainRow {
  const ok = Math.abs(r.losses[0] - row.ln_v) < 0.05 && r.losses[r.losses.length - 1] < r.losses[0];
  return Object.assign(row, {
    step_ms: r.ms, step_min_ms: r.min, tokens_per_s: (row.tokens_per_step * 1000) / r.ms, timed_steps: r.timed,
    first_step_ms: r.first, losses: r.losses, loss_ok: ok,
  });
}

export function baseRow(name: TrainConfigName, runtime: TrainRow['runtime'], backend: string): TrainRow {
  const { config, batch } = TRAIN_CONFIGS[name];
  return {
    config: name, parameters: tfDiTShapes(config).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    batch, tokens_per_step: batch * config.length, runtime, backend, threads: 1, device: '', ln_v: Math.log(config.vocab),
  };
}

async function studioBackend(kind: string, threads: number): Promise<Backend> {
  if (kind === 'cpu') return new CpuBackend();
  if (kind === 'wasm') return WasmBackend.create({ threads, spawn: threads > 1 ? webSpawn : undefined });
  return GpuBackend.create();
}

/** Training steps of the studio's trainer; `threads` > 1 needs a worker (the pool's caller waits with Atomics.wait). */
export async function studioRow(name: TrainConfigName, kind: 'cpu' | 'wasm' | 'webgpu', threads: number, budgetMs: number, minTimed: number): Promise<TrainRow> {
  const row = baseRow(name, 'studio', kind);
  let b: Backend | null = null, trainer: Trainer | null = null;
  try {
    b = await studioBackend(kind, threads);
    row.device = b.description;
    row.threads = b instanceof WasmBackend ? b.threads : 1;
    trainer = createTrainer(b, { kind: 'flm', config: TRAIN_CONFIGS[name].config, train: trainConfig(name) }, await tokens(TRAIN_CONFIGS[name].config.vocab));
    if (trainer.parameterCount !== row.parameters) throw new Error(`parameter counts differ: studio ${trainer.parameterCount}, TF.js ${row.parameters}`);
    const t = trainer;
    finish(row, await timeSteps(async () => (await t.trainStep()).loss, budgetMs, minTimed, `${name} studio ${kind} ×${row.threads}`));
  } catch (e) {
    if (isOom(e)) row.outcome = 'out of memory';
    row.error = String((e as Error)?.message ?? e).slice(0, 300);
  } finally {
    try { trainer?.release(); } catch { /* a failed backend */ }
    b?.destroy();
  }
  return row;
}

