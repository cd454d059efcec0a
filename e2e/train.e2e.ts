import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/**
 * A student's session: open the studio, choose micro, train 40 steps, see the
 * loss fall below ln V, reload, resume, export and import the checkpoint, and
 * get a clear error (with every stored checkpoint intact) for a corrupt file.
 */
describe('training in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await launch();
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => { await browser?.close(); });

  const step = async () => Number(await page.getByTestId('step').textContent());

  it('trains micro for 40 steps and the loss falls below ln V', async () => {
    await page.goto(`${inject('baseURL')}?view=train`);
    await page.getByTestId('preset').selectOption('micro');
    await page.getByTestId('steps').fill('40');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    await page.screenshot({ path: `${ARTIFACTS}train-40-steps.png`, fullPage: true });
    expect(await page.getByTestId('status').textContent()).toBe('done');
    expect(await step()).toBe(40);
    const loss = Number(await page.getByTestId('loss').textContent());
    const lnV = Math.log(Number(await page.evaluate(() => document.body.innerText.match(/vocab (\d+)/)?.[1])));
    const stats = (await page.getByTestId('run-stats').textContent()) ?? '';
    console.log(`browser training: loss after 40 steps ${loss}, ln V ${lnV.toFixed(4)}; ${stats}`);
    // 'auto' trains on WebAssembly where the WebGPU adapter is a CPU emulation (SwiftShader here)
    expect(stats).toContain('WebAssembly SIMD');
    expect(loss).toBeLessThan(lnV);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(40);
    await page.getByTestId('checkpoint-row').first().waitFor();
    expect(await page.getByTestId('checkpoint-row').first().getAttribute('data-step')).toBe('40');
  });

  it('reloads, resumes, and the step counter and loss curve continue', async () => {
    await page.reload();
    await page.getByTestId('checkpoint-row').first().waitFor();
    await page.getByTestId('steps').fill('44');
    await page.getByTestId('resume').first().click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('status').textContent()).toBe('done');
    expect(await step()).toBe(44);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(44);
    await page.screenshot({ path: `${ARTIFACTS}train-resumed.png`, fullPage: true });
  });

  it('exports a checkpoint, imports it again, and refuses a corrupt file without losing anything', async () => {
    const rows = page.getByTestId('checkpoint-row');
    const before = await rows.count();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').first().click()]);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(1000);
    await page.getByTestId('import').setInputFiles({ name: 'reimported.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(before + 1);
    const corrupt = Buffer.from(bytes);
    corrupt.writeUInt32LE(0xffffff, 0);
    await page.getByTestId('import').setInputFiles({ name: 'corrupt.safetensors', mimeType: 'application/octet-stream', buffer: corrupt });
    const err = page.getByTestId('train-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.textContent()).toMatch(/Import failed: .+/);
    expect(await rows.count()).toBe(before + 1);
    await page.screenshot({ path: `${ARTIFACTS}train-import-error.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('trains with the bundled BPE tokenizer (transformers.js tokenizers, vocab 512)', async () => {
    await page.goto(`${inject('baseURL')}?view=train`);
    await page.getByTestId('tokenizer').selectOption('bpe');
    await page.getByTestId('steps').fill('2');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('status').textContent()).toBe('done');
    expect(await page.getByTestId('run-stats').textContent()).toContain('vocab 512');
    expect(errors).toEqual([]);
  });
});
