import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import { ARTIFACTS } from './browser.ts';
import { exportTrajectory, generate, openPage } from './hooks.ts';

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
  const tab = openPage({ acceptDownloads: true });
  let L = 0;
  let first: TrajectoryJSON;

  it('samples the bundled model with N = 8: L positions, 9 frames, 8 texts', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=7&count=8`);
    const info = tab.page.getByTestId('model-info');
    await info.waitFor({ timeout: 60_000 });
    L = Number(await info.getAttribute('data-length'));
    expect(L).toBe(64);
    await generate(tab.page);
    expect(await tab.page.getByTestId('position').count()).toBe(L);
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frames')).toBe('9');
    expect(await tab.page.getByTestId('frame-text').count()).toBe(8);
    expect(Number(await tab.page.getByTestId('heatmap').getAttribute('data-rows'))).toBe(9);
    console.log(`browser sampling: ${await tab.page.getByTestId('sample-latency').textContent()}`);
    await tab.page.screenshot({ path: `${ARTIFACTS}sample-final-frame.png`, fullPage: true });
  });

  it("scrubbing to frame k shows that frame's argmax text, as the worker computed it", async () => {
    first = await exportTrajectory(tab.page);
    expect(first.frames.length).toBe(9);
    expect(first.frames[8].texts).toEqual(first.texts);
    for (const k of [0, 3, 5, 8]) {
      await tab.page.getByTestId('scrubber').fill(String(k));
      expect(await tab.page.getByTestId('frame-label').getAttribute('data-frame')).toBe(String(k));
      const shown = tab.page.getByTestId('frame-text').first();
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
    await tab.page.getByTestId('scrubber').fill('3');
    await tab.page.screenshot({ path: `${ARTIFACTS}sample-frame-3.png`, fullPage: true });
  });

  it("clicking a position opens the chart of its candidates over t; the heatmap jumps to a frame", async () => {
    await tab.page.getByTestId('position').nth(5).click();
    const chart = tab.page.getByTestId('position-chart');
    await chart.waitFor();
    expect(await chart.getAttribute('data-position')).toBe('5');
    expect(Number(await chart.getAttribute('data-series'))).toBeGreaterThan(0);
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    const heat = tab.page.getByTestId('heatmap');
    const box = (await heat.boundingBox())!;
    await heat.click({ position: { x: box.width * (10.5 / L), y: box.height * (6.5 / 9) } });
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frame')).toBe('6');
    expect(await chart.getAttribute('data-position')).toBe('10');
    await tab.page.getByTestId('heat-mode').selectOption('final');
    await tab.page.getByTestId('cell-mode').selectOption('state');
    await tab.page.screenshot({ path: `${ARTIFACTS}sample-position-chart.png`, fullPage: true });
  });

  it('plays through the frames and exports the view as PNG', async () => {
    await tab.page.getByTestId('scrubber').fill('6');
    await tab.page.getByTestId('play').click();
    await expect.poll(async () => tab.page.getByTestId('frame-label').getAttribute('data-frame'), { timeout: 10_000 }).toBe('8');
    const [d] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('export-png').click()]);
    const png = readFileSync((await d.path())!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('compares 1, 8 and 64 Euler steps from the same noise side by side', async () => {
    await tab.page.getByTestId('compare-steps').fill('1, 8, 64');
    await tab.page.getByTestId('compare-run').click();
    const cols = tab.page.getByTestId('compare-col');
    await expect.poll(() => cols.count(), { timeout: 300_000 }).toBe(3);
    // the 8-step column is the run above: same seed, same noise, same tokens
    const eight = await cols.nth(1).locator('pre').first().getAttribute('data-text');
    expect(eight).toBe(first.texts![0]);
    await tab.page.screenshot({ path: `${ARTIFACTS}sample-compare.png`, fullPage: true });
    for (let i = 0; i < 3; i++) console.log(`compare: ${await cols.nth(i).locator('h4').textContent()}`);
  });

  it('the bundled FMLM generates in one step, side by side with its FLM teacher from the same noise', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=1&seed=11&count=4`);
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    const option = tab.page.getByTestId('model').locator('option', { hasText: 'FMLM' });
    await tab.page.getByTestId('model').selectOption((await option.getAttribute('value'))!);
    await expect.poll(() => tab.page.getByTestId('sampler-kind').textContent(), { timeout: 60_000 }).toBe('FMLM, one-network flow-map sampler');
    await generate(tab.page);
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frames')).toBe('2');
    const oneStep = (await tab.page.getByTestId('frame-text').first().getAttribute('data-text'))!;
    expect(oneStep.length).toBeGreaterThan(0);
    await tab.page.getByTestId('compare-steps').fill('1');
    await tab.page.getByTestId('teacher-steps').fill('1, 8');
    await tab.page.getByTestId('compare-run').click();
    const cols = tab.page.getByTestId('compare-col');
    await expect.poll(() => cols.count(), { timeout: 300_000 }).toBe(3);
    expect(await cols.nth(0).getAttribute('data-model')).toBe('this');
    expect(await cols.nth(0).locator('pre').first().getAttribute('data-text')).toBe(oneStep);
    expect(await cols.nth(1).getAttribute('data-model')).toBe('teacher');
    for (let i = 0; i < 3; i++) console.log(`FMLM vs FLM: ${await cols.nth(i).locator('h4').textContent()}: ${JSON.stringify(await cols.nth(i).locator('pre').first().getAttribute('data-text'))}`);
    await tab.page.screenshot({ path: `${ARTIFACTS}sample-fmlm-vs-flm.png`, fullPage: true });
  });

  it('a reload reproduces the tokens; on the CPU backend the headless command gives the same tokens', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=sample&steps=8&seed=7&count=8`);
    await tab.page.reload();
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    expect(await tab.page.getByTestId('seed').inputValue()).toBe('7');
    await generate(tab.page);
    const again = await exportTrajectory(tab.page);
    expect(again.tokens).toEqual(first.tokens);

    await tab.page.getByTestId('sample-backend').selectOption('cpu');
    await expect.poll(async () => (await tab.page.getByTestId('model-info').textContent()) ?? '', { timeout: 60_000 }).toContain('CPU');
    await generate(tab.page);
    const cpu = await exportTrajectory(tab.page);
    const cli = spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts',
      'sample', '--checkpoint', MODEL, '--steps', '8', '--seed', '7', '--count', '8', '--backend', 'cpu'], { cwd: root, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const headless = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { tokens: number[][] };
    expect(cpu.tokens).toEqual(headless.tokens);
    const same = first.tokens!.flat().filter((t, i) => t === cpu.tokens!.flat()[i]).length;
    console.log(`CPU tokens = headless CPU tokens; WebGPU (SwiftShader) vs CPU: ${same}/${8 * L} tokens equal`);
    expect(tab.errors).toEqual([]);
  });
});
