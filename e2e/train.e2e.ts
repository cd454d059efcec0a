import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { ARTIFACTS } from './browser.ts';
import { openPage } from './hooks.ts';

/**
 * A student's session: open the studio, choose micro, train 40 steps, see the
 * loss fall below ln V, reload, resume, export and import the checkpoint, and
 * get a clear error (with every stored checkpoint intact) for a corrupt file.
 */
describe('training in headless Chromium', () => {
  const tab = openPage({ acceptDownloads: true });

  const step = async () => Number(await tab.page.getByTestId('step').textContent());

  it('trains micro for 40 steps and the loss falls below ln V', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.getByTestId('preset').selectOption('micro');
    await tab.page.getByTestId('steps').fill('40');
    await tab.page.getByTestId('train').click();
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    await tab.page.screenshot({ path: `${ARTIFACTS}train-40-steps.png`, fullPage: true });
    expect(await tab.page.getByTestId('status').textContent()).toBe('done');
    expect(await step()).toBe(40);
    const loss = Number(await tab.page.getByTestId('loss').textContent());
    const lnV = Math.log(Number(await tab.page.evaluate(() => document.body.innerText.match(/vocab (\d+)/)?.[1])));
    const stats = (await tab.page.getByTestId('run-stats').textContent()) ?? '';
    console.log(`browser training: loss after 40 steps ${loss}, ln V ${lnV.toFixed(4)}; ${stats}`);
    // 'auto' trains on WebAssembly where the WebGPU adapter is a CPU emulation (SwiftShader here)
    expect(stats).toContain('WebAssembly SIMD');
    expect(loss).toBeLessThan(lnV);
    expect(Number(await tab.page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(40);
    await tab.page.getByTestId('checkpoint-row').first().waitFor();
    expect(await tab.page.getByTestId('checkpoint-row').first().getAttribute('data-step')).toBe('40');
  });

  it('reloads, resumes, and the step counter and loss curve continue', async () => {
    await tab.page.reload();
    await tab.page.getByTestId('checkpoint-row').first().waitFor();
    await tab.page.getByTestId('steps').fill('44');
    await tab.page.getByTestId('resume').first().click();
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await tab.page.getByTestId('status').textContent()).toBe('done');
    expect(await step()).toBe(44);
    expect(Number(await tab.page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(44);
    await tab.page.screenshot({ path: `${ARTIFACTS}train-resumed.png`, fullPage: true });
  });

  it('exports a checkpoint, imports it again, and refuses a corrupt file without losing anything', async () => {
    const rows = tab.page.getByTestId('checkpoint-row');
    const before = await rows.count();
    const [download] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('export').first().click()]);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(1000);
    await tab.page.getByTestId('import').setInputFiles({ name: 'reimported.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(before + 1);
    const corrupt = Buffer.from(bytes);
    corrupt.writeUInt32LE(0xffffff, 0);
    await tab.page.getByTestId('import').setInputFiles({ name: 'corrupt.safetensors', mimeType: 'application/octet-stream', buffer: corrupt });
    const err = tab.page.getByTestId('train-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.textContent()).toMatch(/Import failed: .+/);
    expect(await rows.count()).toBe(before + 1);
    await tab.page.screenshot({ path: `${ARTIFACTS}train-import-error.png`, fullPage: true });
    expect(tab.errors).toEqual([]);
  });

  it('trains with the bundled BPE tokenizer (transformers.js tokenizers, vocab 512)', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.getByTestId('tokenizer').selectOption('bpe');
    await tab.page.getByTestId('steps').fill('2');
    await tab.page.getByTestId('train').click();
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await tab.page.getByTestId('status').textContent()).toBe('done');
    expect(await tab.page.getByTestId('run-stats').textContent()).toContain('vocab 512');
    expect(tab.errors).toEqual([]);
  });

  it('trains on the whole Brown corpus with its 4,096-token BPE (the base models\' tokenizer)', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.locator('details.corpus summary').click();
    await tab.page.getByTestId('corpus-brown-full').click();
    expect(await tab.page.getByTestId('corpus-label').textContent()).toBe('whole Brown corpus (bundled)');
    await tab.page.getByTestId('tokenizer').selectOption('bpe-4096');
    await tab.page.getByTestId('steps').fill('1');
    await tab.page.getByTestId('train').click();
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await tab.page.getByTestId('train-error').textContent({ timeout: 500 }).catch(() => null);
    expect(await tab.page.getByTestId('status').textContent(), err ?? '').toBe('done');
    expect(await tab.page.getByTestId('run-stats').textContent()).toContain('vocab 4096');
    expect(tab.errors).toEqual([]);
  });
});
