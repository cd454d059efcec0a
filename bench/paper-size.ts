/**
 * `npm run bench:paper-size [-- --shapes owt,lm1b --browser lm1b --weights f32,f16 --k 8 --repeat --max-binding-mib 128]`
 *
 * Models of the paper's size on WebGPU: a randomly initialised DiT of the
 * OpenWebText shape (V = 50,258, L = 1024, D = 768, H = 12, C = 128, 12
 * blocks, two-time: an FMLM) and of the LM1B shape (V = 30,522, L = 128)
 * generates one FMLM step with frame summaries (top-k, entropy, argmax
 * computed on the device), in Node through Dawn (SwiftShader on machines
 * without a GPU: expect minutes for OWT) and, for the shapes given to
 * --browser, in headless Chromium (bench/paper-size.html, served by Vite).
 * Prints time, peak device memory and the limits asked for and granted, and
 * writes JSON to bench/results/. `--max-binding-mib 128` acts as a device
 * with the default 128 MiB binding limit (SwiftShader grants 1 GiB), so the
 * vocabulary-sized ops run in chunks. Not part of the test suite (too slow).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { nodeGpu, releaseNodeGpu } from '../src/engine/webgpu/nodeGpu.ts';
import { runPaperSize, SHAPES, type PaperSizeRequest, type PaperSizeResult } from './paper-size-run.ts';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'owt,lm1b' },
    browser: { type: 'string', default: 'lm1b' },
    weights: { type: 'string', default: 'f32' },
    k: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    repeat: { type: 'boolean', default: false },
    'max-binding-mib': { type: 'string' },
    out: { type: 'string', default: `bench/results/paper-size-${new Date().toISOString().replace(/[:.]/g, '-')}.json` },
  },
});
type Shape = PaperSizeRequest['shape'];
const list = (s: string) => s.split(',').filter(Boolean).map((x) => {
  if (!(x in SHAPES)) throw new Error(`unknown shape ${x} (owt, lm1b)`);
  return x as Shape;
});
const shapes = list(values.shapes!), browserShapes = list(values.browser!);
const weightsList = values.weights!.split(',') as PaperSizeRequest['weights'][];
for (const w of weightsList) if (w !== 'f32' && w !== 'f16') throw new Error(`--weights: f32 or f16, not ${w}`);
const req = (shape: Shape, weights: PaperSizeRequest['weights']): PaperSizeRequest =>
  ({
    shape, weights, k: Number(values.k), seed: Number(values.seed), repeat: values.repeat!,
    ...(values['max-binding-mib'] ? { maxBindingBytes: Number(values['max-binding-mib']) * 2 ** 20 } : {}),
  });
const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const log = (s: string) => console.error(s);

async function inNode(): Promise<PaperSizeResult[]> {
  const out: PaperSizeResult[] = [];
  for (const shape of shapes) {
    for (const weights of weightsList) {
      const gpu = await GpuBackend.create(await nodeGpu());
      try {
        out.push(await runPaperSize(gpu, req(shape, weights), `Node ${process.version} + Dawn (webgpu npm)`, log));
      } finally {
        gpu.destroy();
      }
    }
  }
  releaseNodeGpu();
  return out;
}

async function inChromium(): Promise<PaperSizeResult[]> {
  if (browserShapes.length === 0) return [];
  const { createServer } = await import('vite');
  const { launch } = await import('../e2e/browser.ts');
  const root = new URL('..', import.meta.url).pathname;
  const server = await createServer({
    configFile: false, root, logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0 },
    optimizeDeps: { entries: ['bench/paper-size-page.ts'] },
  });
  await server.listen();
  const url = server.resolvedUrls!.local[0];
  const browser = await launch();
  const out: PaperSizeResult[] = [];
  try {
    for (const shape of browserShapes) {
      for (const weights of weightsList) {
        const page = await browser.newPage();
        page.on('console', (m) => log(`[chromium] ${m.text()}`));
        page.on('pageerror', (e) => log(`[chromium] page error: ${e}`));
        await page.goto(`${url}bench/paper-size.html`);
        await page.waitForFunction(() => typeof window.paperSize === 'function', undefined, { timeout: 120_000 });
        out.push(await page.evaluate((r) => window.paperSize(r), req(shape, weights)));
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

function table(rows: PaperSizeResult[]): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const s = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    '| where | shape | params | weights | one FMLM step with frames (first, incl. pipelines) | again | peak device memory | weights | read back per run | maxBufferSize / maxStorageBufferBindingSize granted | bindings limited to |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of rows) {
    const g = r.limits_granted;
    lines.push(`| ${r.where} | ${r.shape} | ${(r.parameters / 1e6).toFixed(1)}M | ${r.weights} | ${s(r.first_step_ms)} | ${s(r.second_step_ms)} | ` +
      `${mb(r.peak_device_bytes)} | ${mb(r.weight_bytes)} | ${(r.read_back_bytes_per_run / 1e3).toFixed(0)} kB (an [L, V] tensor: ${mb(r.lv_tensor_bytes)}) | ` +
      `${(g.maxBufferSize / 2 ** 20).toFixed(0)} MiB / ${(g.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB | ` +
      `${r.binding_limit_simulated ? `${r.binding_limit_simulated / 2 ** 20} MiB` : '–'} |`);
  }
  return lines.join('\n');
}

async function main() {
  const loadBefore = load();
  const started = new Date().toISOString();
  const rows = [...await inNode(), ...await inChromium()];
  const loadAfter = load();
  console.log(`\n## Models of the paper's size on WebGPU (one FMLM step, frames summarised on the device)\n`);
  console.log(table(rows));
  console.log(`\nload average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(values.out!, JSON.stringify({ date: started, load_before: loadBefore, load_after: loadAfter, rows }, null, 2));
  console.log(`wrote ${values.out}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
