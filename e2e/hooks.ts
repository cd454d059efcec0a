/**
 * What the e2e tests share around a page: a describe block's browser, context
 * and page (`openPage`), the Sample view's Generate and trajectory export, and
 * the training worker's test hooks (workers/train.worker.ts, `__flmTest`),
 * called through Playwright.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page, Worker } from 'playwright-core';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import type { TrainTestHooks } from '../workers/protocol.ts';
import { launch, watchErrors } from './browser.ts';

/** A describe block's browser, its one context and page, and the page's console and page errors. */
export interface Tab { browser: Browser; context: BrowserContext; page: Page; errors: string[] }

/**
 * Call inside a describe block: before its tests, launch Chromium (`webgpu`
 * as in `launch`), open a context with `options`, run `setup` on it (init
 * scripts, request listeners), then open a page in it and watch the page's
 * errors; after them, close the browser. The fields are set once the
 * block's beforeAll has run, so read them inside tests and hooks.
 */
export function openPage(
  options: BrowserContextOptions = {},
  opts: { webgpu?: boolean; setup?: (context: BrowserContext) => Promise<unknown> | void } = {},
): Tab {
  const tab = {} as Tab;
  beforeAll(async () => {
    tab.browser = await launch({ webgpu: opts.webgpu });
    tab.context = await tab.browser.newContext(options);
    await opts.setup?.(tab.context);
    tab.page = await tab.context.newPage();
    tab.errors = watchErrors(tab.page);
  });
  afterAll(async () => { await tab.browser?.close(); });
  return tab;
}

/** In the Sample view: click Generate and wait for the run to end, which must be done (else the failure names the view's error). */
export async function generate(page: Page): Promise<void> {
  await page.getByTestId('generate').click();
  const status = page.getByTestId('sample-status');
  await status.filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
  const err = await page.getByTestId('sample-error').textContent({ timeout: 1000 }).catch(() => null);
  expect(await status.textContent(), err ?? '').toBe('done');
}

/** In the Sample view: download the trajectory as JSON and read it. */
export async function exportTrajectory(page: Page): Promise<TrajectoryJSON> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  return JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
}

export type Hooks = { [K in keyof TrainTestHooks]: (...a: Parameters<TrainTestHooks[K]>) => Promise<Awaited<ReturnType<TrainTestHooks[K]>>> };

/** The page's training worker, once its hooks are there (the Train view starts it at once: it asks for the presets). */
export async function trainWorker(page: Page): Promise<Worker> {
  let found: Worker | undefined;
  // Found again on every try: a worker of the page's previous document may linger for a moment.
  await expect.poll(async () => {
    found = page.workers().find((w) => /train\.worker/.test(w.url()));
    return found ? found.evaluate(() => '__flmTest' in self).catch(() => false) : false;
  }, { timeout: 60_000 }).toBe(true);
  return found!;
}

/** Open the Train view and return its training worker's hooks. */
export async function trainView(page: Page): Promise<Hooks> {
  await page.goto(`${inject('baseURL')}?view=train`);
  return hooks(await trainWorker(page));
}

export function hooks(w: Worker): Hooks {
  const call = (name: string, args: unknown[]) =>
    w.evaluate(([n, a]) => (self as unknown as { __flmTest: Record<string, (...x: unknown[]) => unknown> }).__flmTest[n](...a), [name, args] as const);
  // Not a thenable ('then' undefined), so that a Hooks can be returned from an async function.
  return new Proxy({} as Hooks, { get: (_t, name) => (name === 'then' ? undefined : (...args: unknown[]) => call(String(name), args)) });
}

/**
 * Click `what` (Train, Resume, Continue…) and wait until the run it starts has
 * ended (done, error or paused). The status shown before the click does not
 * count: the UI must first show another status or another message.
 */
export async function clickAndFinish(page: Page, what: { click(): Promise<void> }): Promise<string> {
  const status = () => page.getByTestId('status').textContent();
  const message = () => page.getByTestId('train-error').textContent({ timeout: 200 }).catch(() => null);
  const before = { status: await status(), message: await message() };
  await what.click();
  await expect.poll(async () => {
    const now = { status: await status(), message: await message() };
    return now.status !== before.status || now.message !== before.message;
  }, { timeout: 600_000, interval: 20 }).toBe(true);
  await page.getByTestId('status').filter({ hasText: /^(done|error|paused)$/ }).waitFor({ timeout: 600_000 });
  return (await status()) ?? '';
}
