import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/**
 * What needs a browser among the studio's small promises: the loss chart's
 * unigram line appears during a run (not only after switching tabs), a
 * checkpoint's Sample link asks before it leaves a training run, a Demo
 * sample copies as its text and is read as its text, a share link's values
 * are shown or named in a notice, number boxes refuse what they cannot use
 * at once, and the Train view's Model box stays inside its card with each
 * setting on one row.
 */
describe('studio details in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await launch();
    // Reduced motion: the Demo's samples settle at once.
    context = await browser.newContext({ reducedMotion: 'reduce' });
    page = await context.newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => { await browser?.close(); });

  it('shows the unigram-entropy line as soon as a run reports it, and ms/step beside tokens/s', async () => {
    await page.goto(`${inject('baseURL')}?view=train`);
    await page.getByTestId('preset').selectOption('micro');
    await page.getByTestId('steps').fill('4');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    expect(await page.getByTestId('status').textContent()).toBe('done');
    // uPlot's legend: the fourth series (after x, train loss, validation) is the unigram line; 'u-off' when hidden.
    const unigram = page.getByTestId('loss-chart').locator('.u-legend .u-series').nth(3);
    expect(await unigram.textContent()).toContain('unigram entropy');
    expect(await unigram.getAttribute('class')).not.toContain('u-off');
    const stats = (await page.getByTestId('run-stats').textContent()) ?? '';
    expect(stats).toMatch(/\d+ tokens\/s · [\d.]+ ms\/step/);
    expect(errors).toEqual([]);
  });

  it('asks before a checkpoint\'s Sample link leaves a run that is training; on yes the run pauses (saved), then the Sample view opens', async () => {
    // The 4-step checkpoint of the test above is the row to open; a longer run trains meanwhile.
    await page.getByTestId('steps').fill('2000');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^training$/ }).waitFor({ timeout: 600_000 });
    await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 300_000 }).toBeGreaterThanOrEqual(1);
    const link = page.locator('[data-testid="checkpoint-row"][data-step="4"]').getByTestId('open-sample');
    const questions: string[] = [];
    page.once('dialog', (d) => { questions.push(d.message()); void d.dismiss(); });
    await link.click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/^Training is running \(step \d+ of 2000\)\. Opening the Sample view stops it/);
    // No: the page stays, the run goes on.
    expect(new URL(page.url()).searchParams.get('view')).toBe('train');
    expect(await page.getByTestId('status').textContent()).toBe('training');
    page.once('dialog', (d) => { void d.accept(); });
    await Promise.all([page.waitForURL(/view=sample/, { timeout: 300_000 }), link.click()]);
    expect(new URL(page.url()).searchParams.get('model')).toMatch(/^stored:/);
    // The run was paused and saved before leaving: its checkpoint holds the steps it trained (not its step-0 save).
    await page.goto(`${inject('baseURL')}?view=train`);
    await expect.poll(() => page.getByTestId('checkpoint-row').count(), { timeout: 60_000 }).toBe(2);
    const steps = await page.getByTestId('checkpoint-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))));
    expect(steps.filter((n) => n !== 4).every((n) => n >= 1)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('copies a Demo sample as its text, and its live region reads the text, not the candidate layers', async () => {
    await page.goto(`${inject('baseURL')}?view=demo&seed=7&steps=1&count=1&compare=0`);
    await page.getByTestId('demo-result').waitFor({ timeout: 600_000 });
    const condense = page.getByTestId('condense').first();
    await condense.and(page.locator('[data-stage="text"]')).waitFor({ timeout: 60_000 });
    const copied = await condense.evaluate((el) => {
      let got = '';
      const listen = (e: ClipboardEvent) => { got = e.clipboardData?.getData('text/plain') ?? ''; };
      document.addEventListener('copy', listen);
      const range = document.createRange();
      range.selectNodeContents(el);
      const sel = getSelection()!;
      sel.removeAllRanges();
      sel.addRange(range);
      document.execCommand('copy');
      document.removeEventListener('copy', listen);
      return got;
    });
    const live = await condense.evaluate((el) => [...el.querySelectorAll('[aria-live]'), ...(el.matches('[aria-live]') ? [el] : [])]
      .map((r) => r.textContent ?? ''));
    // 64 positions of a character model: 64 characters (the candidate layers made 319).
    expect(copied.length).toBe(64);
    expect(live).toEqual([copied]);
    expect(copied).not.toContain('·');
    expect(errors).toEqual([]);
  });
  it('shows a share link\'s out-of-menu value and says which values it could not use; refuses Steps 0 and a blank hidden size at once', async () => {
    await page.goto(`${inject('baseURL')}?view=demo&seed=-5&count=999&backend=tpu&compare=7`);
    const notice = page.getByTestId('demo-link-notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.locator('li').allTextContents()).toEqual([
      'backend=tpu is not a backend (auto, webgpu, wasm or cpu): using auto',
      'seed=-5 is not a whole number from 0 to 2147483647: using 0',
      'count=999 is not a whole number from 1 to 8: using 2',
    ]);
    expect(await page.getByTestId('demo-compare').inputValue()).toBe('7');

    await page.goto(`${inject('baseURL')}?view=train`);
    await page.getByTestId('steps').fill('0');
    expect(await page.getByTestId('steps-error').textContent()).toBe('Steps must be a whole number of at least 1');
    expect(await page.getByTestId('steps').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('steps').fill('30');
    expect(await page.getByTestId('steps-error').count()).toBe(0);
    await page.getByTestId('preset').selectOption('custom');
    await page.getByTestId('custom-hidden').fill('');
    expect(await page.getByTestId('custom-hidden-error').textContent()).toBe('hidden must be a whole number of at least 1');
    // The estimate keeps the last good hidden size (64), never 0.
    expect(await page.getByTestId('model-size').textContent()).toContain('D 64');
    expect(errors).toEqual([]);
  });

  it('keeps the Train view\'s Model box inside its card at 1440 px, each setting on one row (micro and custom), and no page scrolls sideways', async () => {
    // The same browser context: the checkpoints table holds the runs of the tests above, and is measured too.
    const p = await context.newPage();
    const pageErrors = watchErrors(p);
    for (const [width, height] of [[1440, 900], [390, 844]] as const) {
      await p.setViewportSize({ width, height });
      await p.goto(`${inject('baseURL')}?view=train`);
      await expect.poll(() => p.getByTestId('model-size').textContent(), { timeout: 120_000 }).toMatch(/parameters/);
      for (const preset of ['micro', 'custom']) {
        await p.getByTestId('preset').selectOption(preset);
        if (preset === 'custom') await p.getByTestId('custom-hidden').waitFor({ timeout: 60_000 });
        const layout = await p.evaluate(() => {
          const box = document.querySelector('.model-box')!;
          const card = box.getBoundingClientRect();
          const name = (e: Element) => `${e.tagName.toLowerCase()}${e.getAttribute('data-testid') ? `[${e.getAttribute('data-testid')}]` : ''}.${e.className}`;
          const outside = [...box.querySelectorAll('*')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > card.right + 0.5 || r.left < card.left - 0.5);
          }).map(name);
          // A setting's name and its control share a row; a custom field's name is one line.
          const split = [...box.querySelectorAll('.field')].filter((f) => {
            const [a, b] = [f.children[0], f.children[1]].map((c) => c?.getBoundingClientRect());
            return a && b && Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) > 6;
          }).map(name);
          const wrapped = [...box.querySelectorAll('.grid label')].filter((l) => l.scrollWidth > l.clientWidth + 1).map(name);
          // Nor does any part of the view leave the view's card.
          const panel = document.querySelector('section.panel')!.getBoundingClientRect();
          const outsidePanel = [...document.querySelectorAll('section.panel > *, section.panel .group')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > panel.right + 0.5 || r.left < panel.left - 0.5);
          }).map(name);
          return { outside, split, wrapped, outsidePanel, pageWidth: document.documentElement.scrollWidth, viewport: innerWidth };
        });
        await p.screenshot({ path: `${ARTIFACTS}ui-train-${preset}-${width}.png`, fullPage: true });
        expect(layout, `${preset} at ${width} px`).toEqual({ outside: [], split: [], wrapped: [], outsidePanel: [], pageWidth: layout.viewport, viewport: width });
      }
    }
    expect(pageErrors).toEqual([]);
    await p.close();
  });
});
