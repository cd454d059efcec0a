import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, inject, it } from 'vitest';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import { ARTIFACTS } from './browser.ts';
import { openPage } from './hooks.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Flips and settle t of one sample's positions, from the exported trajectory (the page's own computation is not used). */
function expectedFlips(tr: TrajectoryJSON, sample: number, which: 'argmax_p' | 'argmax_z') {
  const L = tr.meta.length;
  return Array.from({ length: L }, (_, p) => {
    let flips = 0, settle = tr.frames[0].t;
    for (let i = 1; i < tr.frames.length; i++) {
      if (tr.frames[i][which][sample][p] !== tr.frames[i - 1][which][sample][p]) { flips++; settle = tr.frames[i].t; }
    }
    return { flips, settle };
  });
}

/** Mean over positions of the top-k probability mass, per frame, from the trajectory. */
const expectedMeanMass = (tr: TrajectoryJSON, sample: number, k: number) => tr.frames.map((f) =>
  f.top_p.probs[sample].reduce((s, c) => s + c.slice(0, k).reduce((a, b) => a + b, 0), 0) / tr.meta.length);

/**
 * The Sample view's flip timeline and top-k mass heatmap on the bundled FLM
 * (8 steps) and FMLM (1 step): one track and one heatmap row per position,
 * one heatmap column per frame, the flips and masses of the exported
 * trajectory, names for assistive technology, a keyboard-reachable table,
 * and no sideways scroll on a phone.
 */
describe('the flip timeline and the top-k mass heatmap', () => {
  const tab = openPage({ acceptDownloads: true, reducedMotion: 'reduce' });

  const generate = async () => {
    await tab.page.getByTestId('generate').click();
    await tab.page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await tab.page.getByTestId('sample-error').textContent().catch(() => null);
    expect(await tab.page.getByTestId('sample-status').textContent(), err ?? '').toBe('done');
  };
  const exportJson = async (): Promise<TrajectoryJSON> => {
    const [d] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('export-json').click()]);
    return JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
  };
  const trackFlips = () => tab.page.getByTestId('flip-timeline').locator('g[data-position]').evaluateAll((gs) =>
    gs.map((g) => ({ flips: Number(g.getAttribute('data-flips')), settle: Number(g.getAttribute('data-settle-t')) })));
  const close = (a: { flips: number; settle: number }[], b: { flips: number; settle: number }[]) =>
    a.map((x, i) => x.flips === b[i].flips && Math.abs(x.settle - b[i].settle) < 1e-6).every(Boolean);

  it('FLM, 8 steps: a track per position, the trajectory\'s flips and settle t, a heatmap of 64 positions × 9 frames', async () => {
    await tab.page.setViewportSize({ width: 1280, height: 900 });
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=7&count=2&k=4`);
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const L = Number(await tab.page.getByTestId('model-info').getAttribute('data-length'));
    await generate();
    const tr = await exportJson();
    expect(tr.frames.length).toBe(9);

    expect(await tab.page.getByRole('img', { name: /When each position's token flips and settles \(sample 0\)/ }).getAttribute('data-testid')).toBe('flip-timeline');
    const timeline = tab.page.getByTestId('flip-timeline');
    expect(await timeline.getAttribute('data-positions')).toBe(String(L));
    expect(await timeline.getAttribute('data-frames')).toBe('9');
    expect(await timeline.locator('g[data-position]').count()).toBe(L);
    // The second sample (its rows follow the first's): the prediction's argmax, then the state's.
    await tab.page.getByTestId('sample-index').selectOption('1');
    const want = expectedFlips(tr, 1, 'argmax_p');
    expect(close(await trackFlips(), want)).toBe(true);
    const total = want.reduce((n, p) => n + p.flips, 0);
    expect(await timeline.locator('g[data-flip-t]').count()).toBe(total);
    expect(await timeline.locator('g[data-settles]').count()).toBe(want.filter((p) => p.flips).length);
    const settles = want.map((p) => p.settle).sort((a, b) => a - b);
    const median = (settles[L / 2 - 1] + settles[L / 2]) / 2;
    const summary = tab.page.getByTestId('flip-summary');
    expect(Number(await summary.getAttribute('data-median-settle'))).toBeCloseTo(median, 9);
    expect(await summary.textContent()).toContain(`Median settle t = ${Number(median.toFixed(3))}`);
    console.log(`flip timeline, sample 1: ${await summary.textContent()}`);

    await tab.page.getByTestId('cell-mode').selectOption('state');
    expect(close(await trackFlips(), expectedFlips(tr, 1, 'argmax_z'))).toBe(true);
    await tab.page.getByTestId('cell-mode').selectOption('prediction');

    const mass = tab.page.getByRole('img', { name: /^top-4 probability mass heatmap of 64 positions by 9 frames/ });
    expect(await mass.getAttribute('data-testid')).toBe('topk-mass');
    expect([await mass.getAttribute('data-rows'), await mass.getAttribute('data-cols'), await mass.getAttribute('data-k')]).toEqual([String(L), '9', '4']);
    const means = expectedMeanMass(tr, 1, 4);
    const massText = (await tab.page.getByTestId('topk-mass-summary').textContent())!;
    expect(massText).toContain(`Mean top-4 mass over the positions: ${means[0].toFixed(2)} at t = 0, ${means[8].toFixed(2)} at t = 1;`);
    expect(await tab.page.getByTestId('topk-mass-scale').textContent()).toContain('1: all of p in the top-4');
    console.log(`top-k mass, sample 1: ${massText}`);
    await tab.page.getByTestId('topk-mass-panel').screenshot({ path: `${ARTIFACTS}visualizer-topk-mass.png` });
    await tab.page.getByTestId('flip-timeline-panel').screenshot({ path: `${ARTIFACTS}visualizer-flip-timeline.png` });
  });

  it('at 390 px both panels fit the page (no sideways scroll), and axe finds nothing serious or critical in them', async () => {
    // (Before a position is selected: its uPlot chart keeps the width it was drawn at.)
    await tab.page.setViewportSize({ width: 390, height: 844 });
    await tab.page.waitForTimeout(200);
    const { scrollWidth, past } = await tab.page.evaluate(() => ({
      scrollWidth: document.scrollingElement!.scrollWidth,
      past: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 6)
        .map((e) => `${e.tagName.toLowerCase()}.${String(e.className)}`),
    }));
    expect(scrollWidth, past.join(', ')).toBeLessThanOrEqual(390);
    for (const id of ['flip-timeline-panel', 'topk-mass-panel']) {
      const b = (await tab.page.getByTestId(id).boundingBox())!;
      expect(b.x + b.width, id).toBeLessThanOrEqual(390);
    }
    await tab.page.getByTestId('flip-timeline-panel').screenshot({ path: `${ARTIFACTS}visualizer-flip-timeline-390.png` });
    await tab.page.evaluate(AXE);
    const serious = await tab.page.evaluate(async () => {
      const a = (window as unknown as { axe: { run: (ctx: object, opts: object) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] }> } }).axe;
      const r = await a.run({ include: [['[data-testid="flip-timeline-panel"]'], ['[data-testid="topk-mass-panel"]']] }, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(serious).toEqual([]);
    await tab.page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the table of flips opens from the keyboard; clicking a track or a cell selects its position and frame', async () => {
    const summary = tab.page.getByTestId('flip-timeline-panel').locator('summary');
    await summary.focus();
    await tab.page.keyboard.press('Enter');
    const table = tab.page.getByTestId('flip-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(64);

    const timeline = tab.page.getByTestId('flip-timeline');
    const box = (await timeline.boundingBox())!;
    // Position 10 of 64, at t ≈ 0.5 (frame 4 of 0..8; the plot's margin is 1.2 % on each side).
    await timeline.click({ position: { x: box.width * 0.5, y: box.height * (10.5 / 64) } });
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frame')).toBe('4');
    expect(await tab.page.getByTestId('position-chart').getAttribute('data-position')).toBe('10');
    const mass = tab.page.getByTestId('topk-mass');
    const mb = (await mass.boundingBox())!;
    await mass.click({ position: { x: mb.width * (6.5 / 9), y: mb.height * (20.5 / 64) } });
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frame')).toBe('6');
    expect(await tab.page.getByTestId('position-chart').getAttribute('data-position')).toBe('20');
    // The frame's and the position's outlines follow: column 6 of 9, row 20.
    const mark = (which: string) => tab.page.locator(`[data-testid="topk-mass-panel"] .tpanel-mark.${which}`);
    expect(parseFloat(await mark('col').evaluate((e) => (e as HTMLElement).style.left))).toBeCloseTo((6 / 9) * 100, 3);
    expect(await mark('row').evaluate((e) => (e as HTMLElement).style.top)).toBe(`${20 * 7}px`);
  });

  it('FMLM, one step: two frames, the timeline says what the single step changed', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=1&seed=11&count=2&k=8`);
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const option = tab.page.getByTestId('model').locator('option', { hasText: 'FMLM' });
    await tab.page.getByTestId('model').selectOption((await option.getAttribute('value'))!);
    await expect.poll(() => tab.page.getByTestId('sampler-kind').textContent(), { timeout: 60_000 }).toBe('FMLM, one-network flow-map sampler');
    await generate();
    const tr = await exportJson();
    expect(tr.frames.length).toBe(2);
    const timeline = tab.page.getByRole('img', { name: /When each position's token flips and settles/ });
    expect(await timeline.getAttribute('data-frames')).toBe('2');
    expect(await timeline.locator('g[data-position]').count()).toBe(64);
    for (const [mode, which] of [['state', 'argmax_z'], ['prediction', 'argmax_p']] as const) {
      await tab.page.getByTestId('cell-mode').selectOption(mode);
      const want = expectedFlips(tr, 0, which);
      expect(close(await trackFlips(), want)).toBe(true);
      const changed = want.filter((p) => p.flips).length;
      const text = (await tab.page.getByTestId('flip-summary').textContent())!;
      expect(text).toMatch(/^One step, t = 0 → 1: a single network evaluation decides every position\./);
      expect(text).toContain(`${changed} of 64 positions'`);
      console.log(`FMLM flip timeline (${mode}): ${text}`);
    }
    const mass = tab.page.getByRole('img', { name: /^top-8 probability mass heatmap of 64 positions by 2 frames/ });
    expect(await mass.getAttribute('data-cols')).toBe('2');
    expect(await tab.page.getByTestId('topk-mass-x-axis').textContent()).toBe('t 0t 1');
    await tab.page.getByTestId('topk-mass-panel').screenshot({ path: `${ARTIFACTS}visualizer-topk-mass-fmlm.png` });
    expect(tab.errors).toEqual([]);
  });
});
