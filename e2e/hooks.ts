/** The training worker's test hooks (workers/train.worker.ts, `__flmTest`), called from the e2e tests through Playwright. */
import { expect, inject } from 'vitest';
import type { Page, Worker } from 'playwright-core';
import type { TrainTestHooks } from '../workers/protocol.ts';

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
