/**
 * `npm run bench:peers [-- --models micro,few-million --batch 2 --budget 3000 --out file.json]`
 *
 * Inference against the ecosystem's peer, in one run, in headless Chromium
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

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'micro,few-million' },
    batch: { type: 'string', default: '2' },
    budget: { type: 'string', default: '3000' },
    out: { type: 'string', default: `bench/results/peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json` },
  },
});
const models = values.models!.split(',').filter(Boolean) as PeersRequest['model'][];
for (const m of models) if (m !== 'micro' && m !== 'few-million') throw new Error(`unknown model ${m} (micro, few-million)`);
const batch = Number(values.batch), budgetMs = Number(values.budget);
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
  optimizeDeps: { entries: ['bench/peersPage.ts'], exclude: ['onnxruntime-web', 'onnxruntime-web/wasm'] },
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
  date: new Date().toISOString(), cpu: cpus()[0]?.model ?? '?', cores, browser: browser.version(),
  batch, loadavg_before: load(), loadavg_after: [] as number[], rows: [] as PeerRow[],
};

try {
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
} finally {
  result.loadavg_after = load();
  await browser.close();
  await server.close();
}

const fmt = (x: number | undefined) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (x: number | undefined, y: number | undefined) => (x && y ? `${(x / y).toFixed(2)}×` : '—');
console.log(`\n## Inference in headless Chromium ${result.browser}: studio backends vs onnxruntime-web (${result.cpu}, ${cores} cores, batch ${batch}, load ${result.loadavg_before.join('/')} → ${result.loadavg_after.join('/')})`);
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
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify(result, null, 2) + '\n');
console.log(`\nJSON: ${values.out}`);
process.exit(0);
