import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';

const root = new URL('../', import.meta.url).pathname;
const MODEL = 'public/models/flm-micro-char.safetensors';
const visible = (s: string) => (s === '' ? '∅' : s.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r?\n/g, '↵'));

/**
 * A researcher's session: open the bundled demo FLM, sample 8 sequences with
 * N = 8 Euler steps, scrub through the 9 frames, open a position's chart,
 * export the trajectory and the view, compare step counts, and check that a
 * reload and the headless command reproduce the tokens.
 */
describe('sampling and the denoising visualizer in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let L = 0;
  let first: TrajectoryJSON;
  beforeAll(async () => {
    browser = await launch();
    page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    errors = watchErrors(page);
  });
  afterAll(async () => { await browser?.close(); });

  const generate = async () => {
    await page.getByTestId('generate').click();
    await page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await page.getByTestId('sample-error').textContent().catch(() => null);
    expect(await page.getByTestId('sample-status').textContent(), err ?? '').toBe('done');
  };
  const exportJson = async (): Promise<TrajectoryJSON> => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    return JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
  };

  it('samples the bundled model with N = 8: L positions, 9 frames, 8 texts', async () => {
    await page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=7&count=8`);
    const info = page.getByTestId('model-info');
    await info.waitFor({ timeout: 60_000 });
    L = Number(await info.getAttribute('data-length'));
    expect(L).toBe(64);
    await generate();
    expect(await page.getByTestId('position').count()).toBe(L);
    expect(await page.getByTestId('frame-label').getAttribute('data-frames')).toBe('9');
    expect(await page.getByTestId('frame-text').count()).toBe(8);
    expect(Number(await page.getByTestId('heatmap').getAttribute('data-rows'))).toBe(9);
    console.log(`browser sampling: ${await page.getByTestId('sample-latency').textContent()}`);
    await page.screenshot({ path: `${ARTIFACTS}sample-final-frame.png`, fullPage: true });
  });

  it("scrubbing to frame k shows that frame's argmax text, as the worker computed it", async () => {
    first = await exportJson();
    expect(first.frames.length).toBe(9);
    expect(first.frames[8].texts).toEqual(first.texts);
    for (const k of [0, 3, 5, 8]) {
      await page.getByTestId('scrubber').fill(String(k));
      expect(await page.getByTestId('frame-label').getAttribute('data-frame')).toBe(String(k));
      const shown = page.getByTestId('frame-text').first();
      expect(await shown.getAttribute('data-text')).toBe(first.frames[k].texts[0]);
      const ids = first.frames[k].argmax_z[0];
      expect((await shown.textContent())).toBe(ids.map((id) => visible(first.pieces[id])).join(''));
      if (k > 0) {
        const changed = ids.filter((id, p) => id !== first.frames[k - 1].argmax_z[0][p]).length;
        expect(await shown.locator('.tok.changed').count()).toBe(changed);
      }
    }
    // the frames go from noise to text: the prediction's entropy falls
    const meanH = (k: number) => first.frames[k].entropy.flat().reduce((a, b) => a + b, 0) / (8 * L);
    console.log(`mean prediction entropy by frame: ${first.frames.map((_, k) => meanH(k).toFixed(3)).join(' ')}`);
    expect(meanH(8)).toBeLessThan(meanH(0));
    await page.getByTestId('scrubber').fill('3');
    await page.screenshot({ path: `${ARTIFACTS}sample-frame-3.png`, fullPage: true });
  });

  it("clicking a position opens the chart of its candidates over t; the heatmap jumps to a frame", async () => {
    await page.getByTestId('position').nth(5).click();
    const chart = page.getByTestId('position-chart');
    await chart.waitFor();
    expect(await chart.getAttribute('data-position')).toBe('5');
    expect(Number(await chart.getAttribute('data-series'))).toBeGreaterThan(0);
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    const heat = page.getByTestId('heatmap');
    const box = (await heat.boundingBox())!;
    await heat.click({ position: { x: box.width * (10.5 / L), y: box.height * (6.5 / 9) } });
    expect(await page.getByTestId('frame-label').getAttribute('data-frame')).toBe('6');
    expect(await chart.getAttribute('data-position')).toBe('10');
    await page.getByTestId('heat-mode').selectOption('final');
    await page.getByTestId('cell-mode').selectOption('state');
    await page.screenshot({ path: `${ARTIFACTS}sample-position-chart.png`, fullPage: true });
  });

  it('plays through the frames and exports the view as PNG', async () => {
    await page.getByTestId('scrubber').fill('6');
    await page.getByTestId('play').click();
    await expect.poll(async () => page.getByTestId('frame-label').getAttribute('data-frame'), { timeout: 10_000 }).toBe('8');
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
    const png = readFileSync((await d.path())!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('compares 1, 8 and 64 Euler steps from the same noise side by side', async () => {
    await page.getByTestId('compare-steps').fill('1, 8, 64');
    await page.getByTestId('compare-run').click();
    const cols = page.getByTestId('compare-col');
    await expect.poll(() => cols.count(), { timeout: 300_000 }).toBe(3);
    // the 8-step column is the run above: same seed, same noise, same tokens
    const eight = await cols.nth(1).locator('pre').first().getAttribute('data-text');
    expect(eight).toBe(first.texts![0]);
    await page.screenshot({ path: `${ARTIFACTS}sample-compare.png`, fullPage: true });
    for (let i = 0; i < 3; i++) console.log(`compare: ${await cols.nth(i).locator('h4').textContent()}`);
  });

  it('the bundled FMLM generates in one step, side by side with its FLM teacher from the same noise', async () => {
    await page.goto(`${inject('baseURL')}?view=sample&steps=1&seed=11&count=4`);
    await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const option = page.getByTestId('model').locator('option', { hasText: 'FMLM' });
    await page.getByTestId('model').selectOption((await option.getAttribute('value'))!);
    await expect.poll(() => page.getByTestId('sampler-kind').textContent(), { timeout: 60_000 }).toBe('FMLM, one-network flow-map sampler');
    await generate();
    expect(await page.getByTestId('frame-label').getAttribute('data-frames')).toBe('2');
    const oneStep = (await page.getByTestId('frame-text').first().getAttribute('data-text'))!;
    expect(oneStep.length).toBeGreaterThan(0);
    await page.getByTestId('compare-steps').fill('1');
    await page.getByTestId('teacher-steps').fill('1, 8');
    await page.getByTestId('compare-run').click();
    const cols = page.getByTestId('compare-col');
    await expect.poll(() => cols.count(), { timeout: 300_000 }).toBe(3);
    expect(await cols.nth(0).getAttribute('data-model')).toBe('this');
    expect(await cols.nth(0).locator('pre').first().getAttribute('data-text')).toBe(oneStep);
    expect(await cols.nth(1).getAttribute('data-model')).toBe('teacher');
    for (let i = 0; i < 3; i++) console.log(`FMLM vs FLM: ${await cols.nth(i).locator('h4').textContent()}: ${JSON.stringify(await cols.nth(i).locator('pre').first().getAttribute('data-text'))}`);
    await page.screenshot({ path: `${ARTIFACTS}sample-fmlm-vs-flm.png`, fullPage: true });
  });

  it('a reload reproduces the tokens; on the CPU backend the headless command gives the same tokens', async () => {
    await page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=7&count=8`);
    await page.reload();
    await page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('seed').inputValue()).toBe('7');
    await generate();
    const again = await exportJson();
    expect(again.tokens).toEqual(first.tokens);

    await page.getByTestId('sample-backend').selectOption('cpu');
    await expect.poll(async () => (await page.getByTestId('model-info').textContent()) ?? '', { timeout: 60_000 }).toContain('CPU');
    await generate();
    const cpu = await exportJson();
    const cli = spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts',
      'sample', '--checkpoint', MODEL, '--steps', '8', '--seed', '7', '--count', '8', '--backend', 'cpu'], { cwd: root, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const headless = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { tokens: number[][] };
    expect(cpu.tokens).toEqual(headless.tokens);
    const same = first.tokens!.flat().filter((t, i) => t === cpu.tokens!.flat()[i]).length;
    console.log(`CPU tokens = headless CPU tokens; WebGPU (SwiftShader) vs CPU: ${same}/${8 * L} tokens equal`);
    expect(errors).toEqual([]);
  });
});
