import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

/** axe-core's browser build, evaluated in the page (not a script tag: the studio's CSP allows no inline script). */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const VIEWS = ['demo', 'train', 'distill', 'sample', 'evaluate', 'engine'] as const;
const SIZES = [[1440, 900], [390, 844]] as const;
/** Both colour schemes the studio follows (prefers-color-scheme): every audit runs in each. */
const SCHEMES = ['light', 'dark'] as const;
/** A laptop's fold: at 1440×900 the Demo's and the Train view's primary content ends above it. */
const FOLD = 900;
/** The Demo's primary content: the generate control, the one-step samples, the FLM comparison with its cost table. */
const DEMO_PRIMARY = ['demo-generate', 'demo-result', 'demo-cost', 'demo-compare-result'] as const;
/** The Train view's primary content: the model box, Train and Pause, status, progress, figures and the loss chart. */
const TRAIN_PRIMARY = ['preset', 'model-size', 'steps', 'train', 'pause', 'status', 'progress', 'run-stats', 'loss-chart'] as const;

interface Violation { id: string; impact: string | null; help: string; nodes: { target: string[]; html: string; failureSummary?: string }[] }

/** What the view shows once it has settled (the Demo: its first sample, or its error). */
async function settle(page: Page, view: string): Promise<void> {
  await page.locator('section.panel').first().waitFor({ timeout: 60_000 });
  if (view === 'demo') {
    await page.locator('[data-testid="demo"][data-phase="ready"], [data-testid="demo"][data-phase="failed"]').waitFor({ timeout: 240_000 });
  }
  if (view === 'train') await expect.poll(() => page.getByTestId('model-size').textContent(), { timeout: 120_000 }).toMatch(/parameters/);
  // The rest of the views list models and checkpoints from workers: give them a moment.
  await page.waitForTimeout(1500);
}

/** The page's scroll width, with the elements that reach past the viewport's right edge (the deepest ones), to say why. */
async function sideways(page: Page): Promise<{ scrollWidth: number; innerWidth: number; past: string[] }> {
  return page.evaluate(() => {
    // Not what a box that scrolls sideways by itself holds: that is clipped there.
    const clipped = (e: Element) => { for (let p = e.parentElement; p; p = p.parentElement) if (/auto|scroll|hidden/.test(getComputedStyle(p).overflowX)) return true; return false; };
    const past = [...document.querySelectorAll('body *')].filter((e) => {
      if (clipped(e)) return false;
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > innerWidth + 0.5 && ![...e.children].some((c) => c.getBoundingClientRect().right > innerWidth + 0.5);
    }).slice(0, 8).map((e) => `${e.tagName.toLowerCase()}.${String(e.className)}[${Math.round(e.getBoundingClientRect().right)}]`);
    return { scrollWidth: document.scrollingElement!.scrollWidth, innerWidth, past };
  });
}

/**
 * The named elements (data-testid) that end below the fold or are missing,
 * with where they end in px from the top of the document (-1: missing).
 */
async function belowFold(page: Page, testids: readonly string[]): Promise<string[]> {
  const ends = await page.evaluate((ids) => ids.map((id) => {
    const e = document.querySelector(`[data-testid="${id}"]`);
    return [id, e ? Math.ceil(e.getBoundingClientRect().bottom + scrollY) : -1] as const;
  }), [...testids]);
  return ends.filter(([, y]) => y < 0 || y > FOLD).map(([id, y]) => `${id} ends at ${y}`);
}

/**
 * axe in each colour scheme (the page's media emulated, no reload): the
 * serious and critical violations, named with the size and scheme. Each
 * scheme's violations of any impact go to e2e/artifacts/a11y-<name>-<width>[-dark].json;
 * the dark page is also screenshotted (…-dark.png).
 */
async function auditSchemes(page: Page, name: string, width: number): Promise<string[]> {
  const serious: string[] = [];
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const suffix = scheme === 'light' ? '' : `-${scheme}`;
    if (scheme !== 'light') await page.screenshot({ path: `${ARTIFACTS}${name}-${width}${suffix}.png`, fullPage: true });
    const violations = await axe(page);
    writeFileSync(`${ARTIFACTS}a11y-${name.replace(/^view-/, '')}-${width}${suffix}.json`, JSON.stringify(violations, null, 2));
    for (const v of violations) {
      if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${width}px ${scheme} ${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return serious;
}

async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const a = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Violation[] }> } }).axe;
    const r = await a.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), failureSummary: n.failureSummary })) }));
  });
}

/**
 * Every view at a laptop's and a phone's size: a screenshot of each
 * (e2e/artifacts/view-<name>-<width>.png, and -dark.png), no sideways scroll,
 * and an axe audit in the light and the dark colour scheme with no serious or
 * critical violation. Every violation found, of any impact, is written to
 * e2e/artifacts/a11y-<name>-<width>[-dark].json. The Demo and the Train view
 * keep their primary content above a laptop's fold (the named elements end
 * within the first 900 px of the document at 1440×900; secondary detail is
 * folded away or below).
 */
describe('accessibility and layout of every view', () => {
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    browser = await launch();
    context = await browser.newContext({ reducedMotion: 'reduce' });
  });
  afterAll(async () => { await browser?.close(); });

  for (const view of VIEWS) {
    it(`${view}: fits 1440×900 and 390×844 without sideways scroll, and axe finds nothing serious or critical`, async () => {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const serious: string[] = [];
      const widths: Record<number, { scrollWidth: number; innerWidth: number }> = {};
      let folded: string[] = [];
      for (const [width, height] of SIZES) {
        await page.setViewportSize({ width, height });
        await page.goto(`${inject('baseURL')}?view=${view}`);
        await settle(page, view);
        await page.screenshot({ path: `${ARTIFACTS}view-${view}-${width}.png`, fullPage: true });
        widths[width] = await page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, innerWidth }));
        // Before a link's sample the Demo shows its controls (the samples: the comparison test below).
        if (width === 1440 && view === 'demo') folded = await belowFold(page, ['demo-generate', 'demo-compare', 'demo-backend']);
        if (width === 1440 && view === 'train') folded = await belowFold(page, TRAIN_PRIMARY);
        serious.push(...await auditSchemes(page, `view-${view}`, width));
      }
      for (const [width] of SIZES) expect(widths[width].scrollWidth, `${view} at ${width} px`).toBeLessThanOrEqual(widths[width].innerWidth);
      expect(folded, `${view}: primary content below the fold at 1440×900`).toEqual([]);
      expect(serious).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('demo with a comparison: the differing positions marked with a legend, evaluations and time per side, the slider and the menu agree; above the fold on a laptop; axe finds nothing serious or critical', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.goto(`${inject('baseURL')}?view=demo&seed=7&steps=1&count=2&compare=8`);
      await page.getByTestId('demo-compare-result').waitFor({ timeout: 240_000 });
      await page.locator('[data-testid="demo"][data-phase="ready"]').waitFor({ timeout: 240_000 });
      const student = JSON.parse((await page.getByTestId('demo-result').getAttribute('data-tokens'))!) as number[][];
      const teacher = JSON.parse((await page.getByTestId('demo-compare-result').getAttribute('data-tokens'))!) as number[][];
      const differing = student.reduce((n, t, i) => n + t.filter((x, j) => x !== teacher[i][j]).length, 0);
      const summary = page.getByTestId('demo-diff-summary');
      expect(Number(await summary.getAttribute('data-differing'))).toBe(differing);
      expect(Number(await summary.getAttribute('data-total'))).toBe(student.flat().length);
      // One pair of marked texts per sample; as many marked characters on each side as differing positions (one character per token here).
      expect(await page.getByTestId('demo-diff').count()).toBe(2);
      const marked = await page.getByTestId('demo-diff-student').locator('mark.diff').allTextContents();
      expect(marked.join('').length).toBe(differing);
      expect(await page.getByTestId('demo-diff-legend').textContent()).toContain('different tokens');
      expect(await page.getByTestId('demo-cost-student').locator('td').allTextContents()).toEqual(['1', '1', expect.stringMatching(/^[\d.]+ ms$/)]);
      expect(await page.getByTestId('demo-cost-teacher').locator('td').allTextContents()).toEqual(['8', '8', expect.stringMatching(/^[\d.]+ ms$/)]);
      await page.screenshot({ path: `${ARTIFACTS}view-demo-compare-${width}.png`, fullPage: true });
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth <= innerWidth)).toBe(true);
      // On a laptop the generate control, the samples and the whole comparison (its table and marked texts) are above the fold.
      if (width === 1440) expect(await belowFold(page, DEMO_PRIMARY), 'the Demo with a comparison at 1440×900').toEqual([]);
      expect(await auditSchemes(page, 'view-demo-compare', width)).toEqual([]);
    }
    // The slider, labelled, moves through the menu's choices; the menu follows it and the other way round.
    const slider = page.getByLabel('FLM steps to compare, slider');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('demo-compare').inputValue()).toBe('16');
    await page.getByTestId('demo-compare').selectOption('64');
    expect(await slider.inputValue()).toBe('4');
    expect(await slider.getAttribute('aria-valuetext')).toBe('64 FLM steps');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sample after Generate (the visualizer, its frames and charts): no sideways scroll, and axe finds nothing serious or critical', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.goto(`${inject('baseURL')}?view=sample`);
      await page.getByTestId('sample-status').filter({ hasText: /^(ready|done)$/ }).waitFor({ timeout: 240_000 });
      await page.getByTestId('generate').click();
      await page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
      expect(await page.getByTestId('sample-status').textContent()).toBe('done');
      await page.screenshot({ path: `${ARTIFACTS}view-sample-generated-${width}.png`, fullPage: true });
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), `sample after Generate at ${width} px`).toBeLessThanOrEqual(width);
      expect(await auditSchemes(page, 'view-sample-generated', width)).toEqual([]);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('train after a short run (the loss chart, its legend, the preview and the checkpoints): above the fold on a laptop, and axe finds nothing serious or critical', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${inject('baseURL')}?view=train`);
    await page.getByTestId('preset').selectOption('micro');
    await page.getByTestId('steps').fill('4');
    await page.getByTestId('train').click();
    await page.getByTestId('status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 600_000 });
    expect(await page.getByTestId('status').textContent()).toBe('done');
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: `${ARTIFACTS}view-train-trained-${width}.png`, fullPage: true });
      const w = await sideways(page);
      expect(w.scrollWidth, `train after a run at ${width} px: ${w.past.join(', ')}`).toBeLessThanOrEqual(width);
      // With the loss curve drawn, the model box, the controls, progress and the chart are still above a laptop's fold.
      if (width === 1440) expect(await belowFold(page, TRAIN_PRIMARY), 'the Train view after a run at 1440×900').toEqual([]);
      expect(await auditSchemes(page, 'view-train-trained', width)).toEqual([]);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('first run: each view says what it shows until dismissed (remembered), the tabs number the suggested path, and glossary terms open from the keyboard', async () => {
    const ctx = await browser.newContext({ reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    await page.goto(`${inject('baseURL')}?view=train`);
    const intro = page.getByTestId('intro');
    expect(await intro.getAttribute('open')).not.toBeNull();
    expect(await intro.getAttribute('data-view')).toBe('train');
    await page.getByTestId('intro-dismiss').click();
    expect(await intro.getAttribute('open')).toBeNull();
    await page.reload();
    await page.getByTestId('intro').waitFor();
    expect(await page.getByTestId('intro').getAttribute('open')).toBeNull();
    // Another view's paragraph is still open; the folded one opens again from its summary.
    await page.getByTestId('tab-evaluate').click();
    expect(await page.getByTestId('intro').getAttribute('data-view')).toBe('evaluate');
    expect(await page.getByTestId('intro').getAttribute('open')).not.toBeNull();
    // The suggested path: Demo → Sample → Train → Distill → Evaluate, numbered in the tabs, Engine after them.
    const tabs = await page.getByRole('tab').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step') ?? '-'}:${e.getAttribute('data-testid')}`));
    expect(tabs).toEqual(['1:tab-demo', '2:tab-sample', '3:tab-train', '4:tab-distill', '5:tab-evaluate', '-:tab-engine']);
    // The tabs answer the arrow keys (the tab pattern): from Evaluate, right is Engine, then round to Demo.
    await page.getByTestId('tab-evaluate').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('tab-engine').getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('tab-engine').evaluate((e) => e === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowRight');
    expect(new URL(page.url()).searchParams.get('view')).toBe('demo');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    expect(new URL(page.url()).searchParams.get('view')).toBe('evaluate');
    // A glossary term: reached with Tab, its definition shown on focus and given as its description.
    const term = page.locator('[data-testid="intro"] .term[data-term="perplexity"]');
    await page.locator('[data-testid="intro"] summary').focus();
    for (let i = 0; i < 10 && !(await term.evaluate((e) => e === document.activeElement)); i++) await page.keyboard.press('Tab');
    expect(await term.evaluate((e) => e === document.activeElement)).toBe(true);
    expect(await term.locator('.tip').isVisible()).toBe(true);
    const described = await term.evaluate((e) => document.getElementById(e.getAttribute('aria-describedby')!)?.textContent ?? '');
    expect(described).toMatch(/judge/);
    // On a phone the shown definition stays inside the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await term.focus();
    expect(await term.locator('.tip').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    const tip = await term.locator('.tip').boundingBox();
    expect(tip!.x).toBeGreaterThanOrEqual(0);
    expect(tip!.x + tip!.width).toBeLessThanOrEqual(390);
    await ctx.close();
  });
});
