import { describe, expect, inject, it } from 'vitest';
import { ARTIFACTS } from './browser.ts';
import { generate, openPage } from './hooks.ts';

/**
 * Distillation in the studio: from the bundled FLM, stage 1 then stage 2 for
 * a few steps each in the training worker, one-step samples of the student,
 * then the FMLM opened in the Sample view generating in one step.
 */
describe('distillation in headless Chromium', () => {
  const tab = openPage();

  const finished = async () => {
    await tab.page.getByTestId('status').filter({ hasText: /^(done|error|paused)$/ }).waitFor({ timeout: 600_000 });
    const err = await tab.page.getByTestId('train-error').textContent().catch(() => null);
    expect(await tab.page.getByTestId('status').textContent(), err ?? '').toBe('done');
  };

  it('distils the bundled micro FLM through stage 1 and stage 2', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=distill`);
    const teacher = tab.page.getByTestId('distill-teacher');
    await expect.poll(() => teacher.locator('option').first().textContent(), { timeout: 30_000 }).toContain('bundled');
    // stage 1, paused after its first step and continued: the studio's resume of a distillation run
    await tab.page.getByTestId('distill-steps-1').fill('5');
    await tab.page.getByTestId('distill-1').click();
    await expect.poll(async () => Number(await tab.page.getByTestId('step').textContent()), { timeout: 300_000 }).toBeGreaterThanOrEqual(1);
    await tab.page.getByTestId('pause').click();
    await tab.page.getByTestId('status').filter({ hasText: /^(paused|done|error)$/ }).waitFor({ timeout: 300_000 });
    expect(await tab.page.getByTestId('status').textContent()).toBe('paused');
    expect(Number(await tab.page.getByTestId('step').textContent())).toBeLessThan(5);
    await tab.page.getByTestId('continue').click();
    await finished();
    expect(await tab.page.getByTestId('step').textContent()).toBe('5');
    expect(await tab.page.getByTestId('distill-sample').textContent()).toBeTruthy();
    const rows = tab.page.getByTestId('checkpoint-row');
    await expect.poll(() => tab.page.locator('[data-testid="checkpoint-row"][data-kind="flowmap"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await rows.count()).toBe(1);

    const flowmap = tab.page.getByTestId('distill-flowmap');
    await expect.poll(() => flowmap.locator('option[value^="stored:"]').count(), { timeout: 30_000 }).toBe(1);
    // the flow map just trained (the bundled one is listed too)
    await flowmap.selectOption((await flowmap.locator('option[value^="stored:"]').getAttribute('value'))!);
    await tab.page.getByTestId('distill-steps-2').fill('2');
    // Continue means what it means in Train: the stage's Steps setting, or that many more once reached (5 → 10).
    expect(await tab.page.getByTestId('continue').textContent()).toContain('to 10 steps');
    await tab.page.getByTestId('distill-2').click();
    await finished();
    const sample = (await tab.page.getByTestId('distill-sample').textContent()) ?? '';
    console.log(`one-step FMLM sample after 2 steps of stage 2: ${sample.slice(0, 64)}`);
    expect(sample.length).toBeGreaterThan(0);
    // the student's one-step superposition: 64 positions of top-5 candidates
    const sup = tab.page.getByTestId('distill-superposition');
    expect(await sup.getByTestId('position').count()).toBe(64);
    expect(await sup.getByTestId('position').first().locator('.cand').count()).toBe(5);
    const fmlm = tab.page.locator('[data-testid="checkpoint-row"][data-kind="fmlm"]');
    await expect.poll(() => fmlm.count(), { timeout: 30_000 }).toBe(1);
    await tab.page.screenshot({ path: `${ARTIFACTS}distill-stage2.png`, fullPage: true });

    // Open the FMLM in the Sample view and generate in one step.
    await fmlm.getByTestId('open-sample').click();
    await tab.page.getByTestId('model-info').waitFor({ timeout: 60_000 });
    expect(await tab.page.getByTestId('sampler-kind').textContent()).toBe('FMLM, one-network flow-map sampler');
    await tab.page.getByTestId('sample-steps').fill('1');
    await generate(tab.page);
    expect(await tab.page.getByTestId('frame-label').getAttribute('data-frames')).toBe('2');
    expect((await tab.page.getByTestId('frame-text').first().getAttribute('data-text'))!.length).toBeGreaterThan(0);
    await tab.page.screenshot({ path: `${ARTIFACTS}distill-fmlm-sample.png`, fullPage: true });
    expect(tab.errors).toEqual([]);
  });
});
