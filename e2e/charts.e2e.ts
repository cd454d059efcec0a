import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/** axe-core's browser build, evaluated in the page (the studio's CSP allows no inline script). */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation { id: string; impact: string | null; help: string; nodes: { target: string[]; html: string; failureSummary?: string }[] }

/** axe on the elements that the selectors match (and what they hold): its serious and critical violations, named. */
async function seriousIn(page: Page, selectors: string[]): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async (include) => {
    const a = (window as unknown as { axe: { run: (ctx: object, opts: object) => Promise<{ violations: Violation[] }> } }).axe;
    const r = await a.run({ include: include.map((s) => [s]) }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), failureSummary: n.failureSummary })) }));
  }, selectors);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join(', ')}`);
}

/**
 * The figures' charts and candidate columns: the Sample view's position chart
 * follows its box when the window narrows (no sideways scroll on a phone),
 * and in the dark colour scheme the Evaluate view's charts, the candidate
 * columns and the position chart pass axe (colour contrast included).
 */
describe('charts and candidate columns', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it('Sample view: the position chart drawn at 1280 px follows the window to 390 px; columns and chart pass axe in the dark scheme', async () => {
    const page = await (await browser.newContext({ colorScheme: 'dark', reducedMotion: 'reduce' })).newPage();
    const errors = watchErrors(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${inject('baseURL')}?view=sample&steps=4&seed=7&count=1&k=4`);
    await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    await page.getByTestId('generate').click();
    await page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await page.getByTestId('sample-error').textContent().catch(() => null);
    expect(await page.getByTestId('sample-status').textContent(), err ?? '').toBe('done');

    await page.getByTestId('superposition').getByTestId('position').nth(3).click();
    const chart = page.getByTestId('position-chart');
    await chart.locator('canvas').first().waitFor();
    const widths = () => chart.evaluate((group) => ({
      page: document.scrollingElement!.scrollWidth,
      inner: innerWidth,
      box: group.clientWidth,
      canvas: Math.max(...[...group.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect().width)),
    }));
    const wide = await widths();
    expect(wide.canvas).toBeGreaterThan(600);
    expect(wide.page).toBeLessThanOrEqual(wide.inner);

    expect(await seriousIn(page, ['[data-testid="superposition"]', '[data-testid="position-chart"]'])).toEqual([]);
    // Every candidate cell's ink against its wash laid over its column's ground, as the page computed them
    // (axe leaves text on a semi-transparent background inside a button as "incomplete", not a violation).
    const cells = await page.getByTestId('superposition').evaluate((sup) => {
      const rgba = (c: string) => { const m = c.match(/[\d.]+/g)!.map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
      const lum = (c: number[]) => { const [r, g, b] = c.slice(0, 3).map((v) => { const x = v / 255; return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const ratios: number[] = [];
      for (const cand of sup.querySelectorAll<HTMLElement>('.cand')) {
        const ground = rgba(getComputedStyle(cand.closest('.pos')!).backgroundColor);
        const wash = rgba(getComputedStyle(cand).backgroundColor);
        const bg = [0, 1, 2].map((i) => wash[i] * wash[3] + ground[i] * (1 - wash[3]));
        const ink = rgba(getComputedStyle(cand).color);
        const [hi, lo] = [lum(bg), lum(ink)].sort((a, b) => b - a);
        ratios.push((hi + 0.05) / (lo + 0.05));
      }
      return { count: ratios.length, worst: Math.min(...ratios) };
    });
    console.log('candidate cells in the dark scheme:', JSON.stringify(cells));
    expect(cells.count).toBeGreaterThan(0);
    expect(cells.worst, 'the lowest contrast of a candidate cell').toBeGreaterThanOrEqual(4.5);

    await page.setViewportSize({ width: 390, height: 844 });
    // The chart follows on the next resize observation: give it a moment, then assert.
    let narrow = await widths();
    for (let i = 0; i < 20 && !(narrow.canvas <= narrow.box && narrow.page <= narrow.inner); i++) {
      await page.waitForTimeout(250);
      narrow = await widths();
    }
    console.log('position chart widths at 1280 and 390 px:', JSON.stringify({ wide, narrow }));
    expect(narrow.page, 'page width at 390 px').toBeLessThanOrEqual(narrow.inner);
    expect(narrow.canvas, 'chart canvas against its box').toBeLessThanOrEqual(narrow.box);
    await page.screenshot({ path: `${ARTIFACTS}charts-sample-390-dark.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Evaluate view in the dark scheme: the charts take the chart tokens and pass axe', async () => {
    const page = await (await browser.newContext({ colorScheme: 'dark', reducedMotion: 'reduce' })).newPage();
    const errors = watchErrors(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${inject('baseURL')}?view=evaluate&samples=2&flmSteps=1,2&fmlmSteps=1`);
    await expect.poll(() => page.getByTestId('eval-judge').inputValue(), { timeout: 60_000 }).toContain('judge');
    await expect.poll(() => page.getByTestId('eval-flm').inputValue(), { timeout: 60_000 }).toContain('flm');
    await expect.poll(() => page.getByTestId('eval-fmlm').inputValue(), { timeout: 60_000 }).toContain('fmlm');
    await page.getByTestId('eval-run').click();
    await page.locator('[data-testid="eval"][data-status="done"], [data-testid="eval"][data-status="error"]').waitFor({ timeout: 280_000 });
    const err = await page.getByTestId('eval-error').textContent().catch(() => null);
    expect(await page.getByTestId('eval').getAttribute('data-status'), err ?? '').toBe('done');
    const charts = ['eval-chart-steps', 'eval-chart-entropy', 'eval-chart-time'];
    for (const id of charts) await page.getByTestId(id).locator('canvas').first().waitFor();

    // Each model's line is drawn in its chart token (read from the chart's box, where the figure palette applies).
    const legend = await page.getByTestId('eval-chart-steps').evaluate((box) => {
      const css = getComputedStyle(box);
      const rgb = (c: string) => { const s = document.createElement('span'); s.style.color = c; box.append(s); const v = getComputedStyle(s).color; s.remove(); return v; };
      const markers = [...box.querySelectorAll('.u-legend .u-series')].map((tr) => ({
        label: tr.querySelector('.u-label')?.textContent ?? '',
        color: getComputedStyle(tr.querySelector('.u-marker')!).borderColor,
      }));
      return { markers, tokens: { flm: rgb(css.getPropertyValue('--chart-1')), fmlm: rgb(css.getPropertyValue('--chart-4')), data: rgb(css.getPropertyValue('--chart-3')) } };
    });
    const marker = (label: string) => legend.markers.find((m) => m.label === label)?.color;
    expect(marker('FLM')).toBe(legend.tokens.flm);
    expect(marker('FMLM')).toBe(legend.tokens.fmlm);
    expect(marker('real text')).toBe(legend.tokens.data);

    expect(await seriousIn(page, charts.map((id) => `[data-testid="${id}"]`))).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}charts-evaluate-dark.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
