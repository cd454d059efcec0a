import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/**
 * A browser without WebGPU (Chromium without --enable-unsafe-webgpu: no
 * adapter): the studio picks the WebAssembly backend on its own, runs it on
 * one thread per core (`npm run studio` serves the page cross-origin
 * isolated), says so, trains the micro model, and the Demo generates a
 * one-step sample.
 */
describe('without WebGPU: the WebAssembly backend (headless Chromium)', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let threads: number;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
    page = await browser.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => { await browser?.close(); });

  it('the page is cross-origin isolated and has no WebGPU adapter', async () => {
    await page.goto(`${inject('baseURL')}?view=train`);
    const env = await page.evaluate(async () => ({
      isolated: crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      adapter: 'gpu' in navigator ? (await (navigator as Navigator & { gpu: GPU }).gpu.requestAdapter()) !== null : false,
    }));
    expect(env.isolated).toBe(true);
    expect(env.adapter).toBe(false);
    threads = Math.min(8, env.cores);
  });

  it('Train: auto picks WebAssembly with one thread per core, and trains micro', async () => {
    await page.goto(`${inject('baseURL')}?view=train`);
    expect(await page.getByTestId('backend-choice').inputValue()).toBe('auto');
    await page.getByTestId('preset').selectOption('micro');
    await page.getByTestId('steps').fill('4');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const stats = (await page.getByTestId('run-stats').textContent()) ?? '';
    console.log(`wasm training in Chromium: ${stats}`);
    expect(await page.getByTestId('status').textContent(), (await page.getByTestId('train-error').textContent({ timeout: 500 }).catch(() => '')) ?? '').toBe('done');
    expect(Number(await page.getByTestId('step').textContent())).toBe(4);
    expect(stats).toContain(`WebAssembly SIMD (f32x4), ${threads} thread${threads > 1 ? 's' : ''}`);
    expect(Number(await page.getByTestId('loss').textContent())).toBeGreaterThan(0);
    await page.getByTestId('checkpoint-row').first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}wasm-train.png`, fullPage: true });
  });

  it('Demo: a one-step sample on WebAssembly, with a notice saying why not WebGPU', async () => {
    await page.goto(`${inject('baseURL')}?view=demo&compare=0`);
    await page.locator('[data-testid="demo"][data-phase="ready"], [data-testid="demo"][data-phase="failed"]').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('demo-backend').getAttribute('data-kind')).toBe('wasm');
    expect(await page.getByTestId('demo-backend').textContent()).toContain(`WebAssembly · WebAssembly SIMD (f32x4), ${threads} thread`);
    const notice = (await page.getByTestId('demo-fallback').textContent()) ?? '';
    expect(notice).toMatch(/^WebGPU does not compute here: No WebGPU adapter was found.*WebAssembly runs the model instead/s);
    // Said once, in plain words: no doubled full stop, no nested brackets, no "slower".
    expect(notice).not.toMatch(/\.\.|\(\(|\)\)|slower/);
    await page.getByTestId('demo-generate').click();
    const result = page.getByTestId('demo-result');
    await result.waitFor({ timeout: 240_000 });
    const tokens = JSON.parse((await result.getAttribute('data-tokens'))!) as number[][];
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens[0].length).toBe(64);
    await page.screenshot({ path: `${ARTIFACTS}wasm-demo.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
