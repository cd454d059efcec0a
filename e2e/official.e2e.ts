import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { encodeCheckpoint } from '../src/io/checkpoint.ts';
import { readLightningCkpt } from '../src/io/ckpt/index.ts';
import { defaultConfig } from '../src/model/config.ts';
import { paramLayout } from '../src/model/layout.ts';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import { randomArray } from '../test/helpers.ts';
import { lightningCkpt } from '../test/io/ckptWriter.ts';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

const root = new URL('../', import.meta.url).pathname;
const FIXTURE = join(root, 'test/fixtures/official-ckpt/fmlm.ckpt');
const dir = mkdtempSync(join(tmpdir(), 'flm-official-e2e-'));
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Files a test serves from another origin (with CORS), by path. */
const served = new Map<string, Uint8Array>();
function host(): Promise<Server> {
  const server = createServer((req, res) => {
    const body = served.get((req.url ?? '/').split('?')[0]);
    if (!body) { res.writeHead(404, { 'access-control-allow-origin': '*' }); res.end('not found'); return; }
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/**
 * A model with GPT-2's vocabulary plus one (50,258 ids, as the paper's
 * OpenWebText models) and a small body (D = 96, L = 16, one block,
 * two-time), written as the official trainer writes a .ckpt; converted, it
 * is 75 MB (weights and EMA): above the 64 MB the demo downloads without asking.
 */
function gpt2VocabCkpt(): Uint8Array {
  const config = defaultConfig({ vocab: 50_258, length: 16, hidden: 96, heads: 2, blocks: 1, cond: 32, twoTime: true, lossWeighting: false });
  const n = paramLayout(config).total;
  return lightningCkpt({ config, params: randomArray(n, 11, 0.05), ema: randomArray(n, 12, 0.05), globalStep: 5, tokenizerName: 'gpt2' });
}

async function waitSampleStatus(page: Page): Promise<void> {
  await page.getByTestId('sample-status').filter({ hasText: /^(ready|done|error)$/ }).waitFor({ timeout: 240_000 });
}

async function generate(page: Page): Promise<void> {
  await page.getByTestId('generate').click();
  await page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 240_000 });
  const err = await page.getByTestId('sample-error').textContent().catch(() => null);
  expect(await page.getByTestId('sample-status').textContent(), err ?? '').toBe('done');
}

async function exportJson(page: Page): Promise<TrajectoryJSON> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  return JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
}

async function demoTokens(page: Page): Promise<number[][]> {
  const result = page.getByTestId('demo-result');
  await result.waitFor({ timeout: 240_000 });
  return JSON.parse((await result.getAttribute('data-tokens'))!) as number[][];
}

/**
 * A researcher drops the paper's FMLM (an official Lightning .ckpt) into the
 * studio: it reads it in the sampling worker, samples it in one step in the
 * denoising visualizer, keeps it, saves it as .safetensors; the converted
 * file, served over http, opens from a share link with the same tokens;
 * damaged .ckpt files get their one-line message and lose nothing.
 */
describe('official .ckpt checkpoints in the studio (production build, headless Chromium)', () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  let page: Page;
  let errors: string[];
  let tokens: number[][] = [];
  let storedKey = '';
  // The CPU backend: the same tokens in every browser (the README's promise for share links is per backend).
  const settings = 'steps=1&seed=5&count=2&backend=cpu';

  beforeAll(async () => {
    browser = await launch();
    server = await host();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The converted file, as `flm convert` writes it (src/io/ckpt + encodeCheckpoint).
    served.set('/fmlm.safetensors', encodeCheckpoint(readLightningCkpt(new Uint8Array(readFileSync(FIXTURE)), { name: 'fmlm' }).checkpoint));
    page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it('imports fmlm.ckpt through the Sample view\'s file input and samples it in one step in the visualizer', async () => {
    await page.goto(`${inject('baseURL')}?view=sample&${settings}`);
    await page.getByTestId('model-info').waitFor({ timeout: 120_000 });
    await waitSampleStatus(page);
    await page.getByTestId('model-file').setInputFiles(FIXTURE);
    const info = page.getByTestId('model-file-info');
    await info.waitFor({ timeout: 120_000 });
    expect(await info.getAttribute('data-format')).toBe('ckpt');
    const readMs = Number(await info.getAttribute('data-read-ms'));
    expect(await page.getByTestId('model-info').getAttribute('data-vocab')).toBe('37');
    expect(await page.getByTestId('model-info').textContent()).toMatch(/^fmlm: step 1234, 165,798 parameters, L 24, vocab 37/);
    expect(await page.getByTestId('sampler-kind').textContent()).toBe('FMLM, one-network flow-map sampler');
    // It names gpt2, whose 50,257 tokens cannot be this tiny model's 37: token ids, and a note that says why.
    expect(await page.getByTestId('tokenizer-note').textContent()).toMatch(/names the gpt2 tokenizer, which could not be used: .*50,257 tokens.*37 tokens.*token ids/);
    await generate(page);
    expect(await page.getByTestId('visualizer').isVisible()).toBe(true);
    expect(await page.getByTestId('frame-label').getAttribute('data-frames')).toBe('2');
    expect(await page.getByTestId('frame-text').count()).toBe(2);
    expect(await page.getByTestId('position').count()).toBe(24);
    expect(Number(await page.getByTestId('heatmap').getAttribute('data-rows'))).toBe(2);
    expect(await page.getByTestId('frame-text').first().textContent()).toMatch(/^(⟨\d+⟩)+$/);
    const traj = await exportJson(page);
    tokens = traj.tokens!;
    expect(tokens.length).toBe(2);
    expect(tokens[0].length).toBe(24);
    console.log(`fmlm.ckpt (${mb(readFileSync(FIXTURE).length)}) read in the worker in ${readMs} ms; one step: ${await page.getByTestId('sample-latency').textContent()}`);
    await page.screenshot({ path: `${ARTIFACTS}official-fmlm-sample.png`, fullPage: true });
  });

  it('the converted .safetensors served over http opens from a share link and gives the same tokens (and so does the studio\'s own export)', async () => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
    const saved = readFileSync((await d.path())!);
    expect(d.suggestedFilename()).toBe('fmlm.safetensors');
    served.set('/saved/fmlm.safetensors', saved);
    const ctx = await browser.newContext();
    const other = await ctx.newPage();
    const otherErrors = watchErrors(other);
    for (const path of ['/fmlm.safetensors', '/saved/fmlm.safetensors']) {
      await other.goto(`${inject('baseURL')}?view=demo&model=${encodeURIComponent(base + path)}&${settings}&compare=0`);
      expect(await demoTokens(other), path).toEqual(tokens);
      expect(await other.getByTestId('demo-error').count()).toBe(0);
      expect(await other.getByTestId('share-link').inputValue()).toContain(encodeURIComponent(base + path));
    }
    console.log(`share link: ${tokens.length}×${tokens[0].length} tokens equal to the imported model's (converted file ${mb(served.get('/fmlm.safetensors')!.length)}, the studio's export ${mb(saved.length)})`);
    await other.screenshot({ path: `${ARTIFACTS}official-fmlm-share-link.png`, fullPage: true });
    expect(otherErrors).toEqual([]);
    await ctx.close();
  });

  it('keeps the imported model in this browser; damaged .ckpt files each get one line, and the loaded and stored models stay', async () => {
    await page.getByTestId('keep-model').click();
    await page.getByTestId('sample-notice').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('sample-notice').textContent()).toMatch(/^Stored "fmlm" in this browser/);
    storedKey = await page.getByTestId('model').inputValue();
    expect(storedKey).toMatch(/^stored:/);

    const good = readFileSync(FIXTURE);
    const truncated = good.subarray(0, 2_000_000);
    const corrupted = Buffer.from(good);
    const pkl = corrupted.indexOf('data.pkl');
    corrupted[pkl + 200] ^= 0xff; // inside data.pkl: its CRC-32 no longer matches
    const damaged: [string, Uint8Array, RegExp][] = [
      ['truncated.ckpt', truncated, /truncated\.ckpt: zip: .*(end-of-central-directory|truncated)/],
      ['corrupted.ckpt', corrupted, /corrupted\.ckpt: zip: entry ".*data\.pkl" fails its CRC-32 check/],
      ['notes.ckpt', new TextEncoder().encode('just some text, not a checkpoint'), /notes\.ckpt: This is not a PyTorch\/Lightning \.ckpt file/],
    ];
    for (const [name, bytes, message] of damaged) {
      writeFileSync(join(dir, name), bytes);
      await page.getByTestId('model-file').setInputFiles(join(dir, name));
      const err = page.getByTestId('sample-error');
      await err.waitFor({ timeout: 60_000 });
      const text = (await err.textContent())!;
      expect(text, name).toMatch(message);
      expect(text).not.toContain('\n');
      console.log(`damaged ${name}: ${text}`);
      // The model that was loaded is still there, and samples the same tokens.
      expect(await page.getByTestId('model-info').textContent()).toMatch(/^fmlm: step 1234/);
    }
    await page.screenshot({ path: `${ARTIFACTS}official-damaged-ckpt.png`, fullPage: true });
    await generate(page);
    expect((await exportJson(page)).tokens).toEqual(tokens);
    // The stored copy survives and opens by itself after a reload.
    await page.goto(`${inject('baseURL')}?view=sample&${settings}&model=${encodeURIComponent(storedKey)}`);
    await page.getByTestId('model-info').waitFor({ timeout: 120_000 });
    await waitSampleStatus(page);
    expect(await page.getByTestId('model').inputValue()).toBe(storedKey);
    await generate(page);
    expect((await exportJson(page)).tokens).toEqual(tokens);
    expect(errors).toEqual([]);
  });

  it('on WebGPU too: the imported .ckpt and the share link of its conversion give the same tokens', async () => {
    const gpu = 'steps=1&seed=5&count=2&backend=webgpu';
    await page.goto(`${inject('baseURL')}?view=sample&${gpu}`);
    await page.getByTestId('model-info').waitFor({ timeout: 120_000 });
    await waitSampleStatus(page);
    await page.getByTestId('model-file').setInputFiles(FIXTURE);
    await expect.poll(async () => page.getByTestId('model-info').getAttribute('data-vocab'), { timeout: 120_000 }).toBe('37');
    await waitSampleStatus(page);
    expect(await page.getByTestId('model-info').textContent()).not.toContain('CPU reference');
    await generate(page);
    const gpuTokens = (await exportJson(page)).tokens!;
    const ctx = await browser.newContext();
    const other = await ctx.newPage();
    await other.goto(`${inject('baseURL')}?view=demo&model=${encodeURIComponent(`${base}/fmlm.safetensors`)}&${gpu}&compare=0`);
    expect(await demoTokens(other)).toEqual(gpuTokens);
    expect(await other.getByTestId('demo-backend').getAttribute('data-kind')).toBe('webgpu');
    const same = gpuTokens.flat().filter((t, i) => t === tokens.flat()[i]).length;
    console.log(`WebGPU: share link tokens = imported tokens; WebGPU vs CPU: ${same}/${gpuTokens.flat().length} tokens equal`);
    await ctx.close();
  });

  it('a model with GPT-2\'s vocabulary: its .ckpt imports with GPT-2 built offline; converted (75 MB) the demo asks before downloading it, then samples it', async () => {
    const ckpt = gpt2VocabCkpt();
    writeFileSync(join(dir, 'owt-tiny.ckpt'), ckpt);
    const converted = encodeCheckpoint(readLightningCkpt(ckpt, { name: 'owt-tiny' }).checkpoint);
    served.set('/owt-tiny.safetensors', converted);
    expect(converted.length).toBeGreaterThan(64 * 2 ** 20);

    await page.goto(`${inject('baseURL')}?view=sample&steps=1&seed=3&count=1&backend=cpu`);
    await page.getByTestId('model-info').waitFor({ timeout: 120_000 });
    await waitSampleStatus(page);
    await page.getByTestId('model-file').setInputFiles(join(dir, 'owt-tiny.ckpt'));
    await expect.poll(async () => page.getByTestId('model-info').getAttribute('data-vocab'), { timeout: 240_000 }).toBe('50258');
    await waitSampleStatus(page);
    const readMs = Number(await page.getByTestId('model-file-info').getAttribute('data-read-ms'));
    expect(await page.getByTestId('tokenizer-label').textContent()).toBe('gpt2 (byte-level BPE, 50,258 tokens), built offline');
    expect(await page.getByTestId('tokenizer-note').textContent()).toMatch(/ids 50257…50257 are special tokens/);
    await generate(page);
    const one = await exportJson(page);
    expect(one.pieces.length).toBe(50_258);
    expect(one.pieces[50_257]).toBe('[PAD]');
    expect(one.texts![0]).not.toMatch(/⟨\d+⟩/); // decoded by GPT-2, not token ids
    console.log(`owt-tiny.ckpt (${mb(ckpt.length)}, V 50,258) read in the worker in ${readMs} ms; GPT-2 text: ${JSON.stringify(one.texts![0].slice(0, 80))}`);

    const ctx = await browser.newContext();
    const other = await ctx.newPage();
    await other.goto(`${inject('baseURL')}?view=demo&model=${encodeURIComponent(`${base}/owt-tiny.safetensors`)}&steps=1&seed=3&count=1&compare=0&backend=cpu`);
    const ask = other.getByTestId('demo-confirm-size');
    await ask.waitFor({ timeout: 120_000 });
    expect(Number(await ask.getAttribute('data-size'))).toBe(converted.length);
    expect(await ask.textContent()).toContain(`owt-tiny.safetensors is ${mb(converted.length)}, more than the 64.0 MB the studio downloads without asking`);
    expect(await other.getByTestId('demo-confirm-yes').textContent()).toBe(`Download ${mb(converted.length).replace(' MB', '')} MB`);
    await other.screenshot({ path: `${ARTIFACTS}official-confirm-size.png`, fullPage: true });
    await other.getByTestId('demo-confirm-yes').click();
    expect(await demoTokens(other)).toEqual(one.tokens);
    expect(await other.getByTestId('demo-model').textContent()).toContain('gpt2 (byte-level BPE, 50,258 tokens), built offline');
    await other.screenshot({ path: `${ARTIFACTS}official-owt-tiny-demo.png`, fullPage: true });
    await ctx.close();
  });
});
