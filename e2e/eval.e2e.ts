import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from './browser.ts';
import { openPage } from './hooks.ts';

interface Row { model: string; steps: number | null; ppl: number; entropy: number; vsData: number | null }

async function rows(page: Page): Promise<Row[]> {
  return page.getByTestId('eval-row').evaluateAll((els) => els.map((e) => ({
    model: e.getAttribute('data-model')!,
    steps: e.hasAttribute('data-steps') ? Number(e.getAttribute('data-steps')) : null,
    ppl: Number(e.getAttribute('data-ppl')),
    entropy: Number(e.getAttribute('data-entropy')),
    vsData: e.hasAttribute('data-entropy-vs-data') ? Number(e.getAttribute('data-entropy-vs-data')) : null,
  })));
}

/**
 * A student reproducing the paper's table at browser scale: the bundled FLM
 * at 1 and 8 Euler steps and the bundled FMLM at 1 step, scored by the
 * bundled judge against real text, in the Evaluate view.
 */
describe('evaluation in headless Chromium', () => {
  const tab = openPage();

  it('runs a small sweep of the bundled models and renders the table and the charts', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=evaluate&samples=4&flmSteps=1,8&fmlmSteps=1`);
    // The pickers fill with the bundled models and judge.
    // (a picker shows "none yet" until the index of bundled models has arrived)
    await expect.poll(() => tab.page.getByTestId('eval-judge').inputValue(), { timeout: 60_000 }).toContain('judge');
    await expect.poll(() => tab.page.getByTestId('eval-flm').inputValue(), { timeout: 60_000 }).toContain('flm-micro-char');
    await expect.poll(() => tab.page.getByTestId('eval-fmlm').inputValue(), { timeout: 60_000 }).toContain('fmlm-micro-char');
    await tab.page.getByTestId('eval-run').click();
    await tab.page.getByTestId('eval-progress').waitFor({ timeout: 60_000 });
    await tab.page.locator('[data-testid="eval"][data-status="done"], [data-testid="eval"][data-status="error"]').waitFor({ timeout: 280_000 });
    const err = await tab.page.getByTestId('eval-error').textContent().catch(() => null);
    expect(await tab.page.getByTestId('eval').getAttribute('data-status'), err ?? '').toBe('done');
    const r = await rows(tab.page);
    expect(r.map((x) => `${x.model}:${x.steps ?? '-'}`)).toEqual(['data:-', 'flm:1', 'flm:8', 'fmlm:1']);
    for (const x of r) {
      expect(Number.isFinite(x.ppl) && x.ppl > 1).toBe(true);
      expect(x.entropy > 0 && x.entropy < Math.log(64) + 1e-9).toBe(true);
    }
    const [data, flm1, , fmlm1] = r;
    // Beside every generative perplexity: the entropy, and how far it lies from the real text's.
    expect(data.vsData).toBeNull();
    for (const x of r.slice(1)) expect(x.vsData).toBeCloseTo(x.entropy / data.entropy - 1, 9);
    expect(await tab.page.getByTestId('eval-table').locator('th').allTextContents()).toEqual(
      ['model', 'steps', 'samples', 'gen. perplexity', 'entropy (nats)', 'entropy vs real text', 'ms / sample']);
    // One FLM step is the per-position mean (mostly spaces): far worse than one FMLM step, and than real text.
    expect(flm1.ppl).toBeGreaterThan(fmlm1.ppl);
    expect(flm1.ppl).toBeGreaterThan(data.ppl);
    await tab.page.getByTestId('eval-chart-steps').waitFor();
    await tab.page.getByTestId('eval-chart-time').waitFor();
    await tab.page.getByTestId('eval-chart-entropy').waitFor();
    expect(await tab.page.getByTestId('eval-judge-info').textContent()).toMatch(/parameters/);
    console.log('browser eval:', JSON.stringify(r));
    await tab.page.screenshot({ path: `${ARTIFACTS}eval-table.png`, fullPage: true });
  });

  it('the result is saved with the models: a reload shows it again', async () => {
    await tab.page.reload();
    await tab.page.getByTestId('eval-table').waitFor({ timeout: 60_000 });
    const again = await rows(tab.page);
    expect(again.length).toBe(4);
    expect(again.slice(1).every((x) => x.vsData !== null)).toBe(true);
    expect(tab.errors).toEqual([]);
  });
});
