import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/**
 * Training faults in the studio itself: NaN weights roll back to the last
 * checkpoint, a destroyed GPU device is recovered from the last checkpoint,
 * and two tabs training at once keep their own checkpoints intact.
 */
describe('reliability in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await launch();
    context = await browser.newContext();
    page = await context.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => { await browser?.close(); });

  const step = async (p: Page) => Number(await p.getByTestId('step').textContent());
  const status = (p: Page) => p.getByTestId('status').textContent();
  const startRun = async (p: Page, steps: number) => {
    await p.goto(`${inject('baseURL')}?view=train`);
    await p.getByTestId('preset').selectOption('micro');
    await p.getByTestId('steps').fill(String(steps));
    await p.getByTestId('train').click();
  };
  const finished = (p: Page) => p.getByTestId('status').filter({ hasText: /^(done|error|paused)$/ }).waitFor({ timeout: 600_000 });

  it('NaN weights: training pauses, says so, rolls back to the last checkpoint, and Continue goes on from it', async () => {
    await startRun(page, 12);
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    await page.locator('details.faults summary').click();
    await page.getByTestId('fault-nan').click();
    await finished(page);
    expect(await status(page)).toBe('paused');
    const msg = (await page.getByTestId('train-error').textContent()) ?? '';
    expect(msg).toMatch(/The loss became NaN at step \d+\. Training paused and rolled back to the last checkpoint \(step 0\)/);
    expect(await step(page)).toBe(0);
    expect(await page.getByTestId('checkpoint-row').first().getAttribute('data-step')).toBe('0');
    await page.screenshot({ path: `${ARTIFACTS}reliability-nan-rollback.png`, fullPage: true });
    await page.getByTestId('continue').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    expect(await status(page)).toBe('done');
    expect(await step(page)).toBe(12);
    expect(Number(await page.getByTestId('loss').textContent())).toBeLessThan(Math.log(82));
  });

  it('a lost GPU device is recovered from the last checkpoint and the UI says what happened', async () => {
    await startRun(page, 10);
    await expect.poll(() => step(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    await page.locator('details.faults summary').click();
    await page.getByTestId('fault-device-loss').click();
    const notice = page.getByTestId('train-notice');
    await notice.waitFor({ timeout: 120_000 });
    expect(await notice.textContent()).toMatch(/The GPU device was lost .*Recovered automatically: .* from the checkpoint at step 0\./);
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    expect(await page.getByTestId('train-error').count()).toBe(0);
    expect(await status(page)).toBe('done');
    expect(await step(page)).toBe(10);
    expect(await page.getByTestId('checkpoint-row').first().getAttribute('data-step')).toBe('10');
    await page.screenshot({ path: `${ARTIFACTS}reliability-device-loss.png`, fullPage: true });
  });

  it('sampling after a lost GPU device gives the same tokens on a new device', async () => {
    await page.goto(`${inject('baseURL')}?view=sample&steps=2&seed=3&count=1`);
    await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const generate = async () => {
      await page.getByTestId('generate').click();
      await page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
      expect(await page.getByTestId('sample-status').textContent()).toBe('done');
      return page.getByTestId('frame-text').first().getAttribute('data-text');
    };
    const before = await generate();
    await page.locator('details.faults summary').click();
    await page.getByTestId('sample-fault-device-loss').click();
    expect(await generate()).toBe(before);
    expect(await page.getByTestId('frame-label').getAttribute('data-frames')).toBe('3');
  });

  it('two tabs training at once keep their own checkpoints', async () => {
    const other = await context.newPage();
    const otherErrors = watchErrors(other);
    await Promise.all([startRun(page, 8), startRun(other, 9)]);
    await Promise.all([finished(page), finished(other)]);
    expect(await status(page)).toBe('done');
    expect(await status(other)).toBe('done');
    // Both tabs see both runs, each at its own final step, plus the earlier runs of this test file.
    await page.reload();
    const rows = page.getByTestId('checkpoint-row');
    await rows.first().waitFor();
    const steps = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))));
    expect(steps.filter((s) => s === 8)).toHaveLength(1);
    expect(steps.filter((s) => s === 9)).toHaveLength(1);
    expect(otherErrors).toEqual([]);
    expect(errors).toEqual([]);
  });
});
