/**
 * `npm run bench:wasm [-- --backends wasm,cpu,webgpu --threads N --out file.json]`
 *
 * The wasm backend (one thread, and N worker threads when N > 1; N defaults
 * to the core count) against the CPU reference and WebGPU (SwiftShader on a
 * machine without a GPU), all measured in this one run: matmul 512³ in
 * GFLOP/s (three transpose variants) and one training step of the `micro`
 * preset (noise, forward, loss, backward, grad norm, AdamW, EMA, loss
 * readback) in ms and tokens/s. Prints a table with ratios to wasm and
 * writes JSON (bench/results/ by default) with the machine's load average
 * before and after, since the figures depend on what else runs.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Backend } from '../src/engine/backend.ts';
import { createBackend, isBackendName, type BackendName } from '../src/cli/backend.ts';
import { forwardFlops, PRESETS, presetConfig, presetTrain } from '../src/train/presets.ts';
import { benchTrainer, filled, resultsPath, timeIt, trainStepMs, writeJson } from './common.ts';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu,webgpu' },
    out: { type: 'string', default: resultsPath('wasm') },
    n: { type: 'string', default: '512' },
    threads: { type: 'string', default: String(cpus().length) },
  },
});
const names = values.backends!.split(',').filter(Boolean);
for (const n of names) if (!isBackendName(n)) throw new Error(`unknown backend ${n}`);
const threads = Number(values.threads);
/** What to run: each backend once, and wasm again on `threads` threads. */
interface Run { name: BackendName; label: string; threads: number }
const runs: Run[] = (names as BackendName[]).flatMap((name): Run[] =>
  name === 'wasm' && threads > 1
    ? [{ name, label: 'wasm', threads: 1 }, { name, label: `wasm×${threads}`, threads }]
    : [{ name, label: name, threads: 1 }]);
const N = Number(values.n);

const load = () => loadavg().map((x) => Number(x.toFixed(2)));

interface Row { backend: string; device: string; matmul: Record<string, number>; step_ms?: number; tokens_per_s?: number; error?: string }

const variants = [['A·B', false, false], ['Aᵀ·B', true, false], ['A·Bᵀ', false, true]] as const;
const cfg = presetConfig('micro', 65), batch = PRESETS.micro.batch;
const result = {
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? '?', cores: cpus().length,
  loadavg_before: load(), loadavg_after: [] as number[],
  matmul_n: N, micro: { batch, length: cfg.length, gflop_per_step: (3 * forwardFlops(cfg, batch)) / 1e9 }, rows: [] as Row[],
};

for (const { name, label, threads: t } of runs) {
  let b: Backend;
  try {
    b = await createBackend(name, { threads: t });
  } catch (e) {
    result.rows.push({ backend: label, device: '—', matmul: {}, error: (e as Error).message });
    console.error(`# ${label}: unavailable (${(e as Error).message})`);
    continue;
  }
  const row: Row = { backend: label, device: b.description, matmul: {} };
  result.rows.push(row);
  console.error(`# ${label}: ${b.description}`);
  const slow = name === 'cpu';
  for (const [label, transA, transB] of variants) {
    if (slow && label !== 'A·B') continue; // the reference is a plain triple loop: one variant says enough
    const A = filled(b, N * N, 1), B = filled(b, N * N, 2), C = b.tensor(N * N);
    const s = await timeIt(b, () => b.ops.matmul(C, A, B, { M: N, N, K: N, transA, transB }), slow ? 0 : 2, slow ? 2 : 50);
    row.matmul[label] = (2 * N * N * N) / s / 1e9;
    console.error(`  matmul ${N}³ ${label}: ${row.matmul[label].toFixed(2)} GFLOP/s`);
    for (const t of [A, B, C]) b.release(t);
  }
  const trainer = benchTrainer(b, cfg, presetTrain('micro'));
  const budget = name === 'wasm' ? 5000 : 1; // the slow backends: 2 steps after the warm-up
  const { ms, steps } = await trainStepMs(trainer, 2, 20, budget);
  row.step_ms = ms;
  row.tokens_per_s = (batch * cfg.length) / (row.step_ms / 1000);
  console.error(`  micro training step: ${row.step_ms.toFixed(1)} ms (${steps} steps), ${row.tokens_per_s.toFixed(0)} tokens/s`);
  trainer.release();
  b.destroy();
}
result.loadavg_after = load();

const wasm = result.rows.find((r) => r.backend === 'wasm' && !r.error);
const ratio = (x: number | undefined, y: number | undefined) => (x && y ? `${(x / y).toFixed(1)}×` : '—');
console.log(`\n## wasm backend, matmul ${N}³ and a micro training step (${result.cpu}, ${result.cores} cores, load ${result.loadavg_before.join('/')} → ${result.loadavg_after.join('/')})\n`);
console.log(`| backend | device | ${variants.map(([l]) => `matmul ${l} GFLOP/s`).join(' | ')} | micro step ms | tokens/s | wasm (1 thread) vs this row (matmul A·B, step) |`);
console.log(`|---|---|${variants.map(() => '---:').join('|')}|---:|---:|---:|`);
for (const r of result.rows) {
  if (r.error) { console.log(`| ${r.backend} | unavailable: ${r.error} |${variants.map(() => ' — |').join('')} — | — | — |`); continue; }
  const mm = variants.map(([l]) => (r.matmul[l] ? r.matmul[l].toFixed(2) : '—'));
  const up = r === wasm ? '1×' : `${ratio(wasm?.matmul['A·B'], r.matmul['A·B'])}, ${ratio(r.step_ms, wasm?.step_ms)}`;
  console.log(`| ${r.backend} | ${r.device} | ${mm.join(' | ')} | ${r.step_ms?.toFixed(1) ?? '—'} | ${r.tokens_per_s?.toFixed(0) ?? '—'} | ${up} |`);
}
writeJson(values.out!, result);
console.log(`\nJSON: ${values.out}`);
process.exit(0);
