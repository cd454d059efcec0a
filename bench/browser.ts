/**
 * `npm run bench:browser`: the training step in headless Chromium, through
 * the studio itself (training worker, micro preset, bundled corpus, the page
 * cross-origin isolated as `npm run studio` serves it), on each backend of
 * BENCH_BACKENDS (default wasm,webgpu,cpu). Prints a table and writes JSON
 * (BENCH_OUT, else bench/results/). Extra Chromium flags (a real GPU's Vulkan:
 * bench/gpu.sh) come from CHROMIUM_ARGS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build, preview } from 'vite';
import { launch } from '../e2e/browser.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 8);

async function main() {
  await build({ logLevel: 'warn' });
  const server = await preview({ preview: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls!.local[0];
  const browser = await launch();
  const rows: { backend: string; device: string; tokens_per_s: number; steps: number }[] = [];
  const backends = (process.env.BENCH_BACKENDS ?? 'wasm,webgpu,cpu').split(',').filter(Boolean);
  for (const backend of backends) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}?view=train&backend=${backend}`);
    await page.getByTestId('preset').selectOption('micro');
    await page.getByTestId('steps').fill(String(STEPS));
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 1_200_000 });
    const stats = (await page.getByTestId('run-stats').textContent()) ?? '';
    const tps = Number(stats.match(/([\d.]+) tokens\/s/)?.[1]);
    const device = stats.split('·').pop()?.trim() ?? '';
    rows.push({ backend, device, tokens_per_s: tps, steps: STEPS });
    console.error(`${backend}: ${tps} tokens/s (${device})`);
    await context.close();
  }
  await browser.close();
  await server.close();
  const base = rows.find((r) => r.backend === 'cpu')?.tokens_per_s ?? rows[0].tokens_per_s;
  console.log(`\n## Training step in headless Chromium (micro, batch 16 × 64, mean over ${STEPS} steps incl. warm-up)\n`);
  console.log(`| backend | tokens/s | vs ${rows.some((r) => r.backend === 'cpu') ? 'CPU backend' : rows[0].backend} | device |\n|---|---:|---:|---|`);
  for (const r of rows) console.log(`| ${r.backend} | ${r.tokens_per_s.toFixed(0)} | ${(r.tokens_per_s / base).toFixed(2)}× | ${r.device} |`);
  mkdirSync('bench/results', { recursive: true });
  const out = process.env.BENCH_OUT ?? `bench/results/browser-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  console.log(`\nwrote ${out}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
