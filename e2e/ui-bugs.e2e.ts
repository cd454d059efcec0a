import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ARTIFACTS, watchErrors } from './browser.ts';
import { openPage } from './hooks.ts';

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
  // Reduced motion: the Demo's samples settle at once.
  const tab = openPage({ reducedMotion: 'reduce' });

  it('shows the unigram-entropy line as soon as a run reports it, and ms/step beside tokens/s', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.getByTestId('preset').selectOption('micro');
    await tab.page.getByTestId('steps').fill('4');
    await tab.page.getByTestId('train').click();
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    expect(await tab.page.getByTestId('status').textContent()).toBe('done');
    // uPlot's legend: the fourth series (after x, train loss, validation) is the unigram line; 'u-off' when hidden.
    const unigram = tab.page.getByTestId('loss-chart').locator('.u-legend .u-series').nth(3);
    expect(await unigram.textContent()).toContain('unigram entropy');
    expect(await unigram.getAttribute('class')).not.toContain('u-off');
    const stats = (await tab.page.getByTestId('run-stats').textContent()) ?? '';
    expect(stats).toMatch(/\d+ tokens\/s · [\d.]+ ms\/step/);
    expect(tab.errors).toEqual([]);
  });

  it('asks before a checkpoint\'s Sample link leaves a run that is training; on yes the run pauses (saved), then the Sample view opens', async () => {
    // The 4-step checkpoint of the test above is the row to open; a longer run trains meanwhile.
    await tab.page.getByTestId('steps').fill('2000');
    await tab.page.getByTestId('train').click();
    await tab.page.getByTestId('status').filter({ hasText: /^training$/ }).waitFor({ timeout: 600_000 });
    await expect.poll(async () => Number(await tab.page.getByTestId('step').textContent()), { timeout: 300_000 }).toBeGreaterThanOrEqual(1);
    const link = tab.page.locator('[data-testid="checkpoint-row"][data-step="4"]').getByTestId('open-sample');
    const questions: string[] = [];
    tab.page.once('dialog', (d) => { questions.push(d.message()); void d.dismiss(); });
    await link.click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/^Training is running \(step \d+ of 2000\)\. Opening the Sample view stops it/);
    // No: the page stays, the run goes on.
    expect(new URL(tab.page.url()).searchParams.get('view')).toBe('train');
    expect(await tab.page.getByTestId('status').textContent()).toBe('training');
    tab.page.once('dialog', (d) => { void d.accept(); });
    await Promise.all([tab.page.waitForURL(/view=sample/, { timeout: 300_000 }), link.click()]);
    expect(new URL(tab.page.url()).searchParams.get('model')).toMatch(/^stored:/);
    // The run was paused and saved before leaving: its checkpoint holds the steps it trained (not its step-0 save).
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await expect.poll(() => tab.page.getByTestId('checkpoint-row').count(), { timeout: 60_000 }).toBe(2);
    const steps = await tab.page.getByTestId('checkpoint-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))));
    expect(steps.filter((n) => n !== 4).every((n) => n >= 1)).toBe(true);
    expect(tab.errors).toEqual([]);
  });

  it('copies a Demo sample as its text, and its live region reads the text, not the candidate layers', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=demo&seed=7&steps=1&count=1&compare=0`);
    await tab.page.getByTestId('demo-result').waitFor({ timeout: 600_000 });
    const condense = tab.page.getByTestId('condense').first();
    await condense.and(tab.page.locator('[data-stage="text"]')).waitFor({ timeout: 60_000 });
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
    expect(tab.errors).toEqual([]);
  });
  it('shows a share link\'s out-of-menu value and says which values it could not use; refuses Steps 0 and a blank hidden size at once', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=demo&seed=-5&count=999&backend=tpu&compare=7`);
    const notice = tab.page.getByTestId('demo-link-notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.locator('li').allTextContents()).toEqual([
      'backend=tpu is not a backend (auto, webgpu, wasm or cpu): using auto',
      'seed=-5 is not a whole number from 0 to 2147483647: using 0',
      'count=999 is not a whole number from 1 to 8: using 2',
    ]);
    expect(await tab.page.getByTestId('demo-compare').inputValue()).toBe('7');

    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.getByTestId('steps').fill('0');
    expect(await tab.page.getByTestId('steps-error').textContent()).toBe('Steps must be a whole number of at least 1');
    expect(await tab.page.getByTestId('steps').getAttribute('aria-invalid')).toBe('true');
    await tab.page.getByTestId('steps').fill('30');
    expect(await tab.page.getByTestId('steps-error').count()).toBe(0);
    await tab.page.getByTestId('preset').selectOption('custom');
    await tab.page.getByTestId('custom-hidden').fill('');
    expect(await tab.page.getByTestId('custom-hidden-error').textContent()).toBe('hidden must be a whole number of at least 1');
    // The estimate keeps the last good hidden size (64), never 0.
    expect(await tab.page.getByTestId('model-size').textContent()).toContain('D 64');
    expect(tab.errors).toEqual([]);
  });

  it('keeps the Train view\'s Model box inside its card at 1440 px, each setting on one row (micro and custom), and no page scrolls sideways', async () => {
    // The same browser context: the checkpoints table holds the runs of the tests above, and is measured too.
    const p = await tab.context.newPage();
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

/**
 * The Sample and Evaluate views' small promises: the first run's time per
 * step is sampling (the compilation is a warm-up shown apart), number boxes
 * refuse a blank at once without NaN in the console, a PNG export holds the
 * figures without the controls, Stop is a neutral state, and a saved
 * evaluation comes back with the settings it was computed with.
 */
describe('the Sample and Evaluate views in headless Chromium', () => {
  const consoleLines: string[] = [];
  const tab = openPage({ acceptDownloads: true }, {
    // html-to-image draws the cloned view as an SVG image: keep each such SVG to see what the export captured.
    setup: (context) => context.addInitScript(() => {
      const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src')!;
      const seen: string[] = [];
      (window as unknown as { exportSvgs: string[] }).exportSvgs = seen;
      Object.defineProperty(HTMLImageElement.prototype, 'src', {
        ...src,
        set(this: HTMLImageElement, v: string) {
          if (typeof v === 'string' && v.startsWith('data:image/svg+xml')) seen.push(v);
          src.set!.call(this, v);
        },
      });
    }),
  });
  beforeAll(() => { tab.page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`)); });

  const generate = async () => {
    await tab.page.getByTestId('generate').click();
    await tab.page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await tab.page.getByTestId('sample-status').textContent()).toBe('done');
    const text = (await tab.page.getByTestId('sample-latency').textContent()) ?? '';
    return { text, msPerStep: Number(/([\d.]+) ms\/step/.exec(text)?.[1]), warmUp: await tab.page.getByTestId('sample-latency').getAttribute('data-warm-up-ms') };
  };

  it('times the first Sample run without the pipelines\' compilation, which a warm-up shown apart takes', async () => {
    // WebGPU (SwiftShader here: each pipeline compiles in 0.1–0.4 s), where the first run used to be several times slower per step.
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=1&count=2&backend=webgpu`);
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const first = await generate();
    const second = await generate();
    console.log(`first run: ${first.text}\nsecond run: ${second.text}`);
    expect(first.msPerStep).toBeGreaterThan(0);
    expect(first.msPerStep).toBeLessThan(2.5 * second.msPerStep);
    // The first run of these settings had a warm-up, said apart; the second needed none.
    expect(Number(first.warmUp)).toBeGreaterThan(0);
    expect(first.text).toMatch(/warm-up compiled for these settings in \d+ ms \(not counted\)/);
    expect(second.warmUp).toBe('');
    // New settings (another sample count) warm up again.
    await tab.page.getByTestId('count').fill('3');
    expect(Number((await generate()).warmUp)).toBeGreaterThan(0);
    expect(tab.errors).toEqual([]);
  });

  it('refuses a cleared Sample number box at once, with its reason, and never writes NaN', async () => {
    consoleLines.length = 0;
    const vocab = await tab.page.getByTestId('model-info').getAttribute('data-vocab');
    const cases: [string, string][] = [
      ['sample-steps', 'Euler steps must be a whole number from 1 to 1024'],
      ['seed', 'Seed must be a whole number from 0 to 4294967295'],
      ['count', 'Samples must be a whole number from 1 to 64'],
      ['topk', `Top-k must be a whole number from 1 to ${vocab}`],
    ];
    for (const [id, message] of cases) {
      const before = new URL(tab.page.url()).searchParams.get(id === 'sample-steps' ? 'steps' : id === 'topk' ? 'k' : id);
      await tab.page.getByTestId(id).fill('');
      expect(await tab.page.getByTestId(`${id}-error`).textContent()).toBe(message);
      expect(await tab.page.getByTestId(id).getAttribute('aria-invalid')).toBe('true');
      // The setting keeps its last good value (the link too).
      expect(new URL(tab.page.url()).searchParams.get(id === 'sample-steps' ? 'steps' : id === 'topk' ? 'k' : id)).toBe(before);
    }
    await tab.page.getByTestId('count').fill('65');
    expect(await tab.page.getByTestId('count-error').textContent()).toBe('Samples must be a whole number from 1 to 64');
    await tab.page.getByTestId('count').fill('2');
    expect(await tab.page.getByTestId('count-error').count()).toBe(0);
    expect(new URL(tab.page.url()).searchParams.get('count')).toBe('2');
    expect(consoleLines.filter((l) => /NaN/.test(l))).toEqual([]);
    for (const [id] of cases) await tab.page.getByTestId(id).fill(id === 'seed' ? '1' : id === 'sample-steps' ? '8' : id === 'count' ? '2' : '8');
  });

  it('exports the Sample view\'s figures as a PNG without its buttons and menus', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=4&seed=1&count=2`);
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    await generate();
    const [d] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('export-png').click()]);
    expect(d.suggestedFilename()).toMatch(/\.png$/);
    const captured = await tab.page.evaluate(() => {
      const svgs = (window as unknown as { exportSvgs: string[] }).exportSvgs;
      const last = svgs[svgs.length - 1];
      const svg = decodeURIComponent(last.slice(last.indexOf(',') + 1));
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const count = (sel: string) => doc.querySelectorAll(sel).length;
      return {
        controls: count('button, select, input, textarea, summary'),
        // (a canvas is captured as an image of it, without its attributes: the heatmap's colour scale stands for it)
        heatmapScale: count('[data-testid="heatmap-scale"]'), frameTexts: count('[data-testid="frame-text"]'),
      };
    });
    expect(captured.heatmapScale).toBe(1);
    expect(captured.frameTexts).toBeGreaterThan(0);
    expect(captured.controls).toBe(0);
  });

  it('shows a saved evaluation with the settings it was computed with, and names them once the form differs', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=evaluate&samples=4&seed=1&flmSteps=1&fmlmSteps=1`);
    await expect.poll(() => tab.page.getByTestId('eval-judge').inputValue(), { timeout: 60_000 }).toContain('judge');
    await expect.poll(() => tab.page.getByTestId('eval-fmlm').inputValue(), { timeout: 60_000 }).toContain('fmlm-micro-char');
    await tab.page.getByTestId('eval-run').click();
    await tab.page.locator('[data-testid="eval"][data-status="done"], [data-testid="eval"][data-status="error"]').waitFor({ timeout: 280_000 });
    expect(await tab.page.getByTestId('eval').getAttribute('data-status')).toBe('done');
    // Another link's settings: the saved result of the same pair comes back with its own.
    await tab.page.goto(`${inject('baseURL')}?view=evaluate&samples=8&seed=5&flmSteps=1,2&fmlmSteps=2`);
    await tab.page.getByTestId('eval-table').waitFor({ timeout: 60_000 });
    await expect.poll(() => tab.page.getByTestId('eval-samples').inputValue(), { timeout: 10_000 }).toBe('4');
    expect(await tab.page.getByTestId('eval-seed').inputValue()).toBe('1');
    expect(await tab.page.getByTestId('eval-flm-steps').inputValue()).toBe('1');
    expect(await tab.page.getByTestId('eval-fmlm-steps').inputValue()).toBe('1');
    expect(await tab.page.getByTestId('eval-other-settings').count()).toBe(0);
    await tab.page.getByTestId('eval-seed').fill('9');
    expect(await tab.page.getByTestId('eval-other-settings').textContent()).toMatch(/4 samples per row, seed 1, FLM steps 1, FMLM steps 1/);
    expect(tab.errors).toEqual([]);
  });

  it('stops an evaluation as a neutral "stopped" state, not an error', async () => {
    // A long sweep, stopped at once: the evaluation worker sees Stop while it loads the models (on the
    // WebAssembly backend it reads no messages while it samples, so a later Stop waits for the sweep's end).
    await tab.page.getByTestId('eval-samples').fill('16');
    await tab.page.getByTestId('eval-flm-steps').fill('1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024');
    await tab.page.getByTestId('eval-run').click();
    await tab.page.getByTestId('eval-stop').click();
    await tab.page.locator('[data-testid="eval"]:not([data-status="running"]):not([data-status="stopping"])').waitFor({ timeout: 280_000 });
    expect(await tab.page.getByTestId('eval').getAttribute('data-status')).toBe('stopped');
    expect(await tab.page.getByTestId('eval-status').textContent()).toBe('stopped');
    expect(await tab.page.getByTestId('eval-error').count()).toBe(0);
    expect(await tab.page.locator('[data-testid="eval"] [role="alert"], [data-testid="eval"] .error').count()).toBe(0);
    const stopped = tab.page.getByTestId('eval-stopped');
    expect(await stopped.getAttribute('role')).toBe('status');
    expect(await stopped.textContent()).toMatch(/^Stopped/);
    // Not the error colour (styles.css .error).
    expect(await stopped.evaluate((e) => getComputedStyle(e).color)).not.toBe('rgb(180, 35, 24)');
    expect(tab.errors).toEqual([]);
  });
});
