import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

describe('studio engine in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it('starts the engine in a worker on WebGPU and matches the official dit_flm fixture', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${inject('baseURL')}?view=engine`);
    const backend = page.getByTestId('backend');
    await backend.waitFor({ timeout: 60_000 });
    expect(await backend.textContent()).toContain('WebGPU');
    await page.getByTestId('run-selftest').click();
    const verdict = page.getByTestId('selftest-verdict');
    const failure = page.getByTestId('selftest-error');
    await verdict.or(failure).waitFor({ timeout: 240_000 });
    await page.screenshot({ path: `${ARTIFACTS}engine-selftest.png`, fullPage: true });
    if (await failure.count()) throw new Error(`self-test did not run: ${await failure.textContent()}`);
    const text = (await verdict.textContent()) ?? '';
    const logits = Number(await page.getByTestId('err-logits').textContent());
    const loss = Number(await page.getByTestId('err-loss').textContent());
    const grads = Number(await page.getByTestId('err-grads').textContent());
    console.log(`browser WebGPU parity (dit_flm): logits ${logits}, loss ${loss}, grads ${grads}`);
    expect(text).toContain('PASS');
    expect(text).toContain('webgpu');
    expect(logits).toBeLessThanOrEqual(1e-4);
    expect(loss).toBeLessThanOrEqual(1e-4);
    expect(grads).toBeLessThanOrEqual(1e-3);
    expect(errors).toEqual([]);
    await page.close();
  });
});
