/**
 * `npm run bench:peers [-- --part train|infer|all --models micro,few-million --batch 2 --budget 3000
 *   --train-configs micro,small --train-budget 4000 --train-timeout 300 --small-slow --out file.json]`
 *
 * Training (`--part train`; bench/peersTrain.html, bench/peersTrainPage.ts,
 * bench/peersTrainStudio.ts, bench/peersTrainWorker.ts): FLM training steps
 * of the same DiT with the studio's trainer in a web worker (as the Train
 * view runs it) on its CPU, wasm (1 thread and one per core) and WebGPU
 * backends, and with the DiT written in TensorFlow.js ops (bench/tfjsDit.ts)
 * on TF.js's wasm (one thread per core, and one), webgpu and cpu backends,
 * for micro (V 65, L 64, D 64, H 4, C 32, 4 blocks, batch 16) and small
 * (V 65, L 128, D 256, H 8, C 64, 6 blocks, batch 32). Checks the same
 * parameter count (throws otherwise), TF.js's logits against the studio's
 * on the same weights, and a loss that starts at ln V and falls. On small,
 * the runs that take minutes per step (studio CPU and WebGPU, TF.js webgpu
 * and cpu) run only with --small-slow; TF.js wasm runs last on its own page,
 * where running out of memory (or no step within --train-timeout seconds)
 * is an outcome, not a failure. Prints ms/step, tokens/s and ratios (studio
 * ÷ TF.js wasm, studio wasm ÷ studio WebGPU) and the load average.
 *
 * Inference (`--part infer`) against the ecosystem's peer, in one run, in headless Chromium
 * (cross-origin isolated, so onnxruntime-web can use threads): one forward
 * pass and one one-step FMLM sample (noise, forward, softmax, argmax) of
 *   - the studio's backends: CPU reference, wasm (1 thread), WebGPU;
 *   - onnxruntime-web on the studio's ONNX export of the same weights: the
 *     WebAssembly provider with 1 thread and with one thread per core, and
 *     the WebGPU provider;
 * for the bundled micro FMLM and a two-time model of a few million
 * parameters. Prints a table with each time's ratio to onnxruntime-web's
 * wasm provider at 1 thread (threads counted the same as the studio's wasm
 * backend), the studio CPU and wasm backends' time per op in a forward pass, and
 * writes JSON (bench/results/ by default) with the load average before and
 * after. The page is bench/peers.html (bench/peersPage.ts), served by Vite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { launch } from '../e2e/browser.ts';
import type { PeerRow, PeersRequest } from './peersPage.ts';
import type { TrainConfigName, TrainRequest, TrainRow, TrainRunner } from './peersTrainPage.ts';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    'train-configs': { type: 'string', default: 'micro,small' },
    'train-budget': { type: 'string', default: '4000' },
    'small-slow': { type: 'boolean', default: false },
    'train-timeout': { type: 'string', default: '300' },
    models: { type: 'string', default: 'micro,few-million' },
    batch: { type: 'string', default: '2' },
    budget: { type: 'string', default: '3000' },
    out: { type: 'string', default: `bench/results/peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json` },
  },
});
const models = values.models!.split(',').filter(Boolean) as PeersRequest['model'][];
for (const m of models) if (m !== 'micro' && m !== 'few-million') throw new Error(`unknown model ${m} (micro, few-million)`);
const batch = Number(values.batch), budgetMs = Number(values.budget);
const part = values.part!;
if (!['train', 'infer', 'all'].includes(part)) throw new Error(`unknown --part ${part} (train, infer, all)`);
const trainConfigs = values['train-configs']!.split(',').filter(Boolean) as TrainConfigName[];
for (const c of trainConfigs) if (c !== 'micro' && c !== 'small') throw new Error(`unknown training config ${c} (micro, small)`);
const trainBudgetMs = Number(values['train-budget']);
/** Seconds a training request may take before its page is closed and its runners reported as giving no result. */
const trainTimeoutS = Number(values['train-timeout']);
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

const root = new URL('..', import.meta.url).pathname;
const server = await createServer({
  configFile: false, root, logLevel: 'warn',
  // Cross-origin isolation: SharedArrayBuffer, so onnxruntime-web's wasm provider can run threads.
  server: {
    host: '127.0.0.1', port: 5391,
    // Other work on the sources must not reload the page mid-run.
    hmr: false, watch: null,
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
  // Scan only this page (the studio's index.html needs the PWA plugin), so every
  // dependency is pre-bundled before the page loads (no reload mid-run);
  // onnxruntime-web finds its .wasm next to its own module: serve it as it is.
  // TF.js wasm's .wasm files are served from node_modules too (the page sets its wasm paths there).
  optimizeDeps: { entries: ['bench/peersPage.ts', 'bench/peersTrainPage.ts'], exclude: ['onnxruntime-web', 'onnxruntime-web/wasm'] },
  worker: { format: 'es' },
});
await server.listen();
const url = server.resolvedUrls!.local[0];
const browser = await launch();
const cores = cpus().length;

async function page(threads: number) {
  const p = await browser.newPage();
  p.on('pageerror', (e) => console.error(`page error: ${e}`));
  await p.goto(`${url}bench/peers.html?threads=${threads}`);
  await p.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
  const info = await p.evaluate(() => {
    const w = (window as unknown as { peers: { threads: number; crossOriginIsolated: boolean; cores: number } }).peers;
    return { threads: w.threads, isolated: w.crossOriginIsolated, cores: w.cores };
  });
  console.error(`# page with onnxruntime wasm threads = ${info.threads} (cross-origin isolated: ${info.isolated}, ${info.cores} logical cores)`);
  return { p, info };
}
const runIn = (p: Awaited<ReturnType<typeof page>>['p'], req: PeersRequest): Promise<PeerRow[]> =>
  p.evaluate((r) => (window as unknown as { peers: { run: (r: PeersRequest) => Promise<PeerRow[]> } }).peers.run(r), req);

const result = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model ?? '?', cores, browser: browser.version(), part,
  batch, loadavg_before: load(), loadavg_after: [] as number[], rows: [] as PeerRow[],
  training: { loadavg_before: [] as number[], loadavg_after: [] as number[], notes: [] as string[], rows: [] as TrainRow[] },
};

/** What a training request that failed as a whole came to: a crashed page, a step that never ended (at the memory limit?). */
function timeoutOutcome(why: string): string | undefined {
  if (/no result/.test(why)) {
    const gib = /memory ([\d.]+) GiB/.exec(why);
    return gib && Number(gib[1]) >= 3.9 ? `no step in ${trainTimeoutS} s, its memory at the 4 GiB limit` : `no step in ${trainTimeoutS} s`;
  }
  return /crash/i.test(why) ? 'the page crashed (out of memory?)' : undefined;
}

/** One training page with TF.js wasm at `tfThreads`; each request's rows (a crashed page: an error row per runner). */
async function trainPass(tfThreads: number, reqs: TrainRequest[]): Promise<TrainRow[]> {
  const p = await browser.newPage();
  p.on('pageerror', (e) => console.error(`page error: ${e}`));
  // Each step's progress (the page and its training worker log lines starting with '# ').
  let last = '';
  p.on('console', (m) => { if (m.text().startsWith('# ')) { last = m.text().slice(2); console.error(`  ${m.text()}`); } });
  const rows: TrainRow[] = [];
  try {
    await p.goto(`${url}bench/peersTrain.html?tfthreads=${tfThreads}`);
    await p.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
    for (const req of reqs) {
      await p.bringToFront();
      console.error(`# training ${req.config}: ${req.what.join(', ')} (TF.js wasm threads requested: ${tfThreads}) …`);
      try {
        let timer: NodeJS.Timeout | undefined;
        const got = await Promise.race([
          p.evaluate((r) => (window as unknown as { peersTrain: { run: (r: TrainRequest) => Promise<TrainRow[]> } }).peersTrain.run(r), req),
          new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no result in ${trainTimeoutS} s (last progress: ${last || 'none'})`)), trainTimeoutS * 1000); }),
        ]).finally(() => clearTimeout(timer));
        for (const r of got) console.error(`  ${r.runtime} ${r.backend} ×${r.threads}: ${r.error ? `${r.outcome ?? 'error'}: ${r.error}` : `${r.step_ms!.toFixed(0)} ms/step, losses ${r.losses!.map((l) => l.toFixed(3)).join(' ')}${r.parity_max_abs !== undefined ? `, parity ${r.parity_max_abs.toExponential(1)}` : ''}`}`);
        rows.push(...got);
      } catch (e) {
        const why = String((e as Error).message ?? e).split('\n')[0];
        for (const w of req.what) {
          const [runtime, backend] = w.split('-') as [TrainRow['runtime'], string];
          rows.push({
            config: req.config, parameters: 0, batch: 0, tokens_per_step: 0, runtime, backend, threads: tfThreads, device: '',
            ln_v: Math.log(65), outcome: timeoutOutcome(why), error: why,
          });
        }
        break;
      }
    }
  } finally {
    await p.close().catch(() => undefined);
  }
  return rows;
}

/** The training half: micro and small on every runner (see the header), in three pages. */
async function training(): Promise<void> {
  result.training.loadavg_before = load();
  const minTimed = 3;
  const mt: TrainRunner[] = cores > 1 ? ['studio-wasm-mt'] : [];
  const fastFirst: TrainRunner[] = ['studio-wasm', ...mt, 'tfjs-wasm', 'studio-webgpu', 'studio-cpu', 'tfjs-cpu', 'tfjs-webgpu'];
  const reqs: TrainRequest[] = [], alone: TrainRequest[] = [], single: TrainRequest[] = [];
  if (trainConfigs.includes('micro')) {
    // One request per runner, so that the timeout is per runner.
    for (const w of fastFirst) reqs.push({ config: 'micro', what: [w], budgetMs: trainBudgetMs, minTimed });
    if (cores > 1) single.push({ config: 'micro', what: ['tfjs-wasm'], budgetMs: trainBudgetMs, minTimed });
  }
  if (trainConfigs.includes('small')) {
    const slow: TrainRunner[] = values['small-slow'] ? ['studio-webgpu', 'studio-cpu', 'tfjs-webgpu', 'tfjs-cpu'] : [];
    if (!values['small-slow']) result.training.notes.push('small: studio WebGPU and CPU and TF.js webgpu and cpu skipped (minutes per step here; --small-slow runs them)');
    for (const w of ['studio-wasm', ...mt, ...slow] as TrainRunner[]) reqs.push({ config: 'small', what: [w], budgetMs: trainBudgetMs, minTimed: 1 });
    alone.push({ config: 'small', what: ['tfjs-wasm'], budgetMs: trainBudgetMs, minTimed: 1 });
    result.training.notes.push('small: TF.js wasm runs on a page of its own with one thread (memory does not depend on threads; a threaded run that reached the 4 GiB limit gave no answer for 15 minutes)');
  }
  result.training.notes.push(
    'studio: its trainer in a web worker, as the Train view runs it; wasm on 1 thread and on one thread per core (a pool of web workers over shared memory)',
    `TF.js wasm: its threaded SIMD build (the page is cross-origin isolated), ${cores} threads and 1; it caps threads at hardwareConcurrency/2, so the page reports twice the threads asked for`,
  );
  const rows = [...await trainPass(cores, reqs), ...(single.length ? await trainPass(1, single) : []), ...(alone.length ? await trainPass(1, alone) : [])];
  result.training.rows = rows;
  result.training.loadavg_after = load();
}

try {
  if (part !== 'infer') await training();
  if (part !== 'train') {
    // One page at a time, in front (a background tab's timers are throttled, which slows every awaited run).
    const passes: [number, PeersRequest['what']][] = [[1, ['studio-cpu', 'studio-wasm', 'studio-webgpu', 'ort-wasm', 'ort-webgpu']]];
    if (cores > 1) passes.push([cores, ['ort-wasm']]);
    const byModel = new Map<string, PeerRow[]>(models.map((m) => [m, []]));
    for (const [threads, what] of passes) {
      const { p, info } = await page(threads);
      if (threads > 1 && !info.isolated) console.error('# warning: the page is not cross-origin isolated: onnxruntime-web runs one thread');
      for (const model of models) {
        await p.bringToFront();
        byModel.get(model)!.push(...await runIn(p, { model, batch, budgetMs, what }));
      }
      await p.close();
    }
    for (const [model, rows] of byModel) {
      console.error(`# ${model}`);
      for (const r of rows) console.error(`  ${r.runtime} ${r.provider} ×${r.threads}: ${r.error ?? `forward ${r.forward_ms?.toFixed(1)} ms (fastest ${r.forward_min_ms?.toFixed(1)}), one-step sample ${r.sample_ms?.toFixed(1)} ms (fastest ${r.sample_min_ms?.toFixed(1)})`}`);
      result.rows.push(...rows);
    }
  }
} finally {
  result.loadavg_after = load();
  await browser.close();
  await server.close();
}

const fmt = (x: number | undefined) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (x: number | undefined, y: number | undefined) => (x && y ? `${(x / y).toFixed(2)}×` : '—');
if (part !== 'train') console.log(`\n## Inference in headless Chromium ${result.browser}: studio backends vs onnxruntime-web (${result.cpu}, ${cores} cores, batch ${batch}, load ${result.loadavg_before.join('/')} → ${result.loadavg_after.join('/')})`);
for (const model of new Set(result.rows.map((r) => r.model))) {
  const rows = result.rows.filter((r) => r.model === model);
  const base = rows.find((r) => r.runtime === 'onnxruntime-web' && r.provider === 'wasm' && r.threads === 1 && !r.error);
  console.log(`\n### ${model}, ${rows[0].parameters.toLocaleString('en')} parameters\n`);
  console.log('| runtime | provider | threads | forward ms (median / fastest) | one-step sample ms (median / fastest) | time vs onnxruntime-web wasm ×1, fastest runs (forward, sample) | device |');
  console.log('|---|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    if (r.error) { console.log(`| ${r.runtime} | ${r.provider} | ${r.threads} | — | — | unavailable: ${r.error.replace(/\|/g, '/').slice(0, 120)} | ${r.device} |`); continue; }
    console.log(`| ${r.runtime} | ${r.provider} | ${r.threads} | ${fmt(r.forward_ms)} / ${fmt(r.forward_min_ms)} | ${fmt(r.sample_ms)} / ${fmt(r.sample_min_ms)} | ` +
      `${ratio(r.forward_min_ms, base?.forward_min_ms)}, ${ratio(r.sample_min_ms, base?.sample_min_ms)} | ${r.device} |`);
  }
  for (const r of rows.filter((x) => x.runtime === 'studio' && x.ops_ms)) {
    const total = Object.values(r.ops_ms!).reduce((a, b) => a + b, 0);
    const top = Object.entries(r.ops_ms!).sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`\nstudio ${r.provider}, one eager forward pass (${fmt(total)} ms): ${top.map(([k, v]) => `${k} ${fmt(v)} ms (${((100 * v) / total).toFixed(0)} %)`).join(', ')}`);
  }
}
if (part !== 'infer') printTraining();

function printTraining(): void {
  const t = result.training;
  console.log(`\n## Training in headless Chromium ${result.browser}: studio trainer vs TensorFlow.js ${'4.22'} (${result.cpu}, ${cores} cores, load ${t.loadavg_before.join('/')} → ${t.loadavg_after.join('/')})`);
  for (const n of t.notes) console.log(`- ${n}`);
  for (const config of new Set(t.rows.map((r) => r.config))) {
    const rows = t.rows.filter((r) => r.config === config);
    const ok = rows.find((r) => r.parameters > 0)!;
    const tfWasm = rows.filter((r) => r.runtime === 'tfjs' && r.backend === 'wasm' && !r.error).sort((a, b) => b.threads - a.threads)[0];
    const gpu = rows.find((r) => r.runtime === 'studio' && r.backend === 'webgpu' && !r.error);
    console.log(`\n### ${config}: ${ok ? `${ok.parameters.toLocaleString('en')} parameters, batch ${ok.batch}, ${ok.tokens_per_step} tokens per step` : ''}\n`);
    console.log(`| runtime | backend | threads | ms/step (median / fastest) | tokens/s | step vs TF.js wasm ×${tfWasm?.threads ?? '?'} | step vs studio WebGPU | loss: first → last (ln V ${Math.log(65).toFixed(3)}) | device |`);
    console.log('|---|---|---:|---:|---:|---:|---:|---|---|');
    for (const r of rows) {
      const name = r.runtime === 'tfjs' ? 'TF.js' : 'studio';
      if (r.error) { console.log(`| ${name} | ${r.backend} | ${r.threads} | ${r.outcome ?? 'failed'} | — | — | — | — | ${r.error.replace(/\|/g, '/').slice(0, 100)} |`); continue; }
      const l = r.losses!;
      console.log(`| ${name} | ${r.backend} | ${r.threads} | ${fmt(r.step_ms)} / ${fmt(r.step_min_ms)} | ${Math.round(r.tokens_per_s!).toLocaleString('en')} | ${ratio(r.step_ms, tfWasm?.step_ms)} | ${ratio(r.step_ms, gpu?.step_ms)} | ` +
        `${l[0].toFixed(3)} → ${l[l.length - 1].toFixed(3)} (${l.length} steps)${r.loss_ok ? '' : ' — NOT as expected'}${r.parity_max_abs !== undefined ? `; logits vs studio max Δ ${r.parity_max_abs.toExponential(1)}` : ''} | ${r.device} |`);
    }
    for (const wasm of rows.filter((r) => r.runtime === 'studio' && r.backend === 'wasm' && !r.error)) {
      if (tfWasm) console.log(`\nstudio wasm ×${wasm.threads} ÷ TF.js wasm ×${tfWasm.threads}: ${ratio(wasm.step_ms, tfWasm.step_ms)} (median steps), ${ratio(wasm.step_min_ms, tfWasm.step_min_ms)} (fastest)`);
      if (gpu) console.log(`studio wasm ×${wasm.threads} ÷ studio WebGPU: ${ratio(wasm.step_ms, gpu.step_ms)} (median steps), ${ratio(wasm.step_min_ms, gpu.step_min_ms)} (fastest)`);
    }
    const bad = rows.filter((r) => !r.error && !r.loss_ok);
    if (bad.length) console.log(`warning: the loss did not start at ln V and fall for ${bad.map((r) => `${r.runtime} ${r.backend}`).join(', ')}`);
  }
}

mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify(result, null, 2) + '\n');
console.log(`\nJSON: ${values.out}`);
process.exit(0);
