import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

const root = new URL('../', import.meta.url).pathname;
const FMLM = readFileSync(`${root}public/models/fmlm-micro-char.safetensors`);

/**
 * The same file with its config edited (hidden_size 64 → 32, same byte
 * length), so its tensors no longer match the config in its metadata.
 */
function mismatched(): Buffer {
  const n = Number(FMLM.readBigUInt64LE(0));
  const header = FMLM.subarray(8, 8 + n).toString('utf8');
  const edited = header.replace('"hidden_size":"64"', '"hidden_size":"32"');
  if (edited === header || edited.length !== header.length) throw new Error('could not edit the fixture header');
  return Buffer.concat([FMLM.subarray(0, 8), Buffer.from(edited, 'utf8'), FMLM.subarray(8 + n)]);
}

/** Another origin serving model files: some with CORS, one without, a 404, an HTML page, a mismatched model. */
function modelHost(): Promise<Server> {
  const bad = mismatched();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const cors = { 'access-control-allow-origin': '*' };
    if (path === '/ok/fmlm.safetensors') { res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': FMLM.length }); res.end(FMLM); return; }
    if (path === '/private/fmlm.safetensors') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(FMLM); return; }
    if (path === '/page.safetensors') { res.writeHead(200, { ...cors, 'content-type': 'text/html' }); res.end('<!doctype html><title>Sign in</title><p>Please sign in'); return; }
    if (path === '/mismatch.safetensors') { res.writeHead(200, { ...cors, 'content-length': bad.length }); res.end(bad); return; }
    res.writeHead(404, cors);
    res.end('not found');
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.txt': 'text/plain', '.map': 'application/json', '.safetensors': 'application/octet-stream', '.wasm': 'application/wasm',
};

/** Any static host: the production build served below a sub-path, as on a conference site. */
function staticHost(base: string): Promise<Server> {
  const dist = inject('distDir');
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (!path.startsWith(base)) { res.writeHead(404); res.end(); return; }
    let file = normalize(join(dist, path.slice(base.length) || 'index.html'));
    if (file.startsWith(dist) && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file.startsWith(dist) || !existsSync(file)) { res.writeHead(404); res.end('not found'); return; }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

async function trackCsp(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}
const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

async function waitReady(page: Page): Promise<void> {
  await page.locator('[data-testid="demo"][data-phase="ready"], [data-testid="demo"][data-phase="failed"]').waitFor({ timeout: 240_000 });
}

async function tokensOf(page: Page): Promise<number[][]> {
  const result = page.getByTestId('demo-result');
  await result.waitFor({ timeout: 240_000 });
  return JSON.parse((await result.getAttribute('data-tokens'))!) as number[][];
}

/**
 * A speaker's demo: the landing page loads the bundled FMLM and its FLM,
 * Generate condenses samples out of noise in one step, the share link
 * reproduces them in a fresh browser, and the studio keeps working offline
 * and after bad model links.
 */
describe('demo mode, share links and offline use (production build, headless Chromium)', () => {
  let browser: Browser;
  let host: Server;
  let hostUrl: string;
  beforeAll(async () => {
    browser = await launch();
    host = await modelHost();
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => host?.close(r));
  });

  it('the landing page is the demo; the production build carries a CSP without inline scripts or eval', async () => {
    const html = await (await fetch(inject('baseURL'))).text();
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1].replace(/&#39;/g, "'") ?? '';
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/unsafe-inline[^;]*;[^;]*$|script-src[^;]*unsafe-inline|script-src[^;]*'unsafe-eval'/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
  });

  it('generates one-step samples, compares with FLM from the same noise, and a share link reproduces the tokens in a fresh context', async () => {
    const ctx = await browser.newContext();
    await trackCsp(ctx);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await page.goto(`${inject('baseURL')}`);
    await waitReady(page);
    expect(await page.getByTestId('tab-demo').getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('demo-backend').textContent()).toMatch(/WebGPU|WebAssembly|CPU/);
    await page.getByTestId('demo-compare').selectOption('8');
    await page.getByTestId('demo-generate').click();
    const tokens = await tokensOf(page);
    expect(tokens.length).toBe(2);
    expect(tokens[0].length).toBe(64);
    // The superposition condenses into the final text.
    await page.locator('[data-testid="condense"][data-stage="text"]').first().waitFor({ timeout: 10_000 });
    await page.getByTestId('demo-compare-result').waitFor({ timeout: 240_000 });
    await waitReady(page);
    await page.waitForTimeout(1500); // the last fades of the condensing animation
    const link = await page.getByTestId('share-link').inputValue();
    expect(link).toMatch(/view=demo/);
    expect(link).toMatch(/model=fmlm-micro-char/);
    expect(link).toMatch(/seed=\d+/);
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByTestId('copy-link').click();
    await page.getByTestId('copy-status').waitFor();
    expect(await page.getByTestId('copy-status').textContent()).toBe('Link copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await page.screenshot({ path: `${ARTIFACTS}demo-generated.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    console.log(`demo: ${await page.getByTestId('demo-result').locator('h3').textContent()}; ${await page.getByTestId('demo-compare-result').locator('h3').textContent()}`);

    const other = await browser.newContext();
    const page2 = await other.newPage();
    const errors2 = watchErrors(page2);
    await page2.goto(link);
    expect(await tokensOf(page2)).toEqual(tokens);
    await page2.getByTestId('demo-compare-result').waitFor({ timeout: 240_000 });
    expect(await page2.getByTestId('demo-compare-result').getAttribute('data-tokens'))
      .toBe(await page.getByTestId('demo-compare-result').getAttribute('data-tokens'));
    expect(errors2).toEqual([]);
    await ctx.close();
    await other.close();
  });

  it('served by a static host under a sub-path, after one visit it works offline: reload, load the models, generate', async () => {
    const base = '/talks/flm-studio/';
    const site = await staticHost(base);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}${base}?view=demo&compare=8`);
    await waitReady(page);
    // The service worker has precached the app and the bundled models once it controls the page.
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 120_000 });
    // This host sends no isolation headers: the first visit has no shared memory (WebAssembly on one thread)…
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await ctx.setOffline(true);
    await page.reload();
    await waitReady(page);
    // …the service worker serves the page with them from the second visit on: one thread per core.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.getByTestId('demo-backend').textContent()).toContain(`WebAssembly SIMD (f32x4), ${Math.min(8, cores)} thread`);
    expect(await page.getByTestId('demo-error').count()).toBe(0);
    await page.getByTestId('demo-generate').click();
    expect((await tokensOf(page))[0].length).toBe(64);
    await page.getByTestId('demo-compare-result').waitFor({ timeout: 240_000 });
    // The rest of the studio too.
    await page.getByTestId('tab-train').click();
    await page.getByTestId('tab-demo').click();
    await page.screenshot({ path: `${ARTIFACTS}demo-offline.png`, fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();
    await new Promise((r) => site.close(r));
  });

  it('bad model links each say what is wrong, and the demo keeps working with the bundled model', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const cases: [string, RegExp][] = [
      [`${hostUrl}/missing.safetensors`, /Model not found \(404\)/],
      [`${hostUrl}/private/fmlm.safetensors`, /refused access \(CORS\)/],
      ['http://127.0.0.1:9/model.safetensors', /Network error/],
      [`${hostUrl}/model.bin`, /not a model file.*only \.safetensors/i],
      [`${hostUrl}/page.safetensors`, /not a model file.*not a safetensors file/i],
      [`${hostUrl}/mismatch.safetensors`, /does not match its config/],
    ];
    for (const [url, message] of cases) {
      await page.goto(`${inject('baseURL')}?view=demo&model=${encodeURIComponent(url)}&seed=5&compare=0&count=1`);
      const err = page.getByTestId('demo-error');
      await err.waitFor({ timeout: 120_000 });
      expect(await err.textContent(), url).toMatch(message);
      // The bundled FMLM took over and generated the link's seed.
      expect((await tokensOf(page))[0].length, url).toBe(64);
      expect(await page.getByTestId('demo-generate').isEnabled()).toBe(true);
    }
    await page.screenshot({ path: `${ARTIFACTS}demo-bad-link.png`, fullPage: true });
    // A good remote model loads with its progress and samples; its link carries the URL.
    await page.goto(`${inject('baseURL')}?view=demo&model=${encodeURIComponent(`${hostUrl}/ok/fmlm.safetensors`)}&seed=5&compare=0&count=1`);
    const remote = await tokensOf(page);
    expect(await page.getByTestId('demo-error').count()).toBe(0);
    expect(await page.getByTestId('share-link').inputValue()).toContain(encodeURIComponent(`${hostUrl}/ok/fmlm.safetensors`));
    await page.goto(`${inject('baseURL')}?view=demo&model=fmlm-micro-char&seed=5&compare=0&count=1`);
    expect(await tokensOf(page)).toEqual(remote);
    await ctx.close();
  });
});
