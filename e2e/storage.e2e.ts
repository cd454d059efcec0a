import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { SavePhase, StoredState } from '../workers/protocol.ts';
import { ARTIFACTS, launch, watchErrors } from './browser.ts';
import { clickAndFinish, trainView } from './hooks.ts';

/**
 * IndexedDB under real faults, in Chromium: a worker terminated in the middle
 * of saving a large checkpoint (many times, at random moments), and a quota
 * lowered through the DevTools protocol until a save does not fit.
 */

/** A deterministic sequence in [0, 1) (the kill delays; the seed is reported). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('IndexedDB under real faults (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); });
  afterAll(async () => { await browser?.close(); });

  it('a worker terminated mid-save, 60 times at random moments: the previous or the new revision always loads', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const h = await trainView(page);
    const ID = 'kill-during-save', MB = 4, KILLS = 60, SEED = 20;

    const first = await h.saveLarge(ID, 0, MB);
    expect(first).toMatchObject({ id: ID, step: 0, rev: 1 });
    // How long one uninterrupted save takes (sent → stored), to spread the kills over it.
    const full: number[] = [];
    let step = 0;
    for (let i = 0; i < 3; i++) {
      const r = await h.killDuringSave(ID, ++step, MB, 120_000);
      expect(r).toMatchObject({ finished: true, phase: 'cleanup-done' });
      full.push(r.ms);
    }
    const T = median(full);

    // Two kills in three at a uniform moment of the save (0 to 1.2 × its length); one in three 0–20 ms
    // after the new bytes were written, when the manifest switch is under way.
    const rand = rng(SEED);
    let prev = step;
    const tally = { previous: 0, new: 0, other: 0, unloadable: 0, unfinished: 0, orphansSeen: 0 };
    const byPhase: Record<string, { previous: number; new: number }> = {};
    const trials: { from: SavePhase; delay: number; finished: boolean; phase: SavePhase; kept: 'previous' | 'new' | 'other'; orphans: number }[] = [];
    for (let i = 0; i < KILLS; i++) {
      const from: SavePhase = i % 3 === 2 ? 'bytes-done' : 'sent';
      const delay = Math.round(from === 'sent' ? rand() * 1.2 * T : rand() * 20);
      const r = await h.killDuringSave(ID, ++step, MB, delay, from);
      const state: StoredState = await h.storeState();
      const c = state.checkpoints.find((x) => x.id === ID);
      expect(c, `trial ${i}: the checkpoint is gone`).toBeDefined();
      if (!c!.loads) tally.unloadable++;
      expect(c!.loads, `trial ${i} (kill ${delay} ms after ${from}): ${c!.error}`).toBe(true);
      expect(c!.finite).toBe(true);
      const kept = c!.step === prev ? 'previous' : c!.step === step ? 'new' : 'other';
      tally[kept]++;
      if (!r.finished) tally.unfinished++;
      if (r.finished) expect(kept).toBe('new');
      if (kept !== 'other') (byPhase[r.finished ? 'finished' : r.phase] ??= { previous: 0, new: 0 })[kept]++;
      if (state.orphans > 0) tally.orphansSeen++;
      trials.push({ from, delay, finished: r.finished, phase: r.phase, kept, orphans: state.orphans });
      prev = c!.step;
    }
    // The listings collected every orphan: only the current revision is left.
    expect((await h.storeState()).orphans).toBe(0);
    const report = { kills: KILLS, checkpointMB: MB, saveMs: full, seed: SEED, ...tally, byPhase, trials };
    writeFileSync(`${ARTIFACTS}kill-during-save.json`, JSON.stringify(report, null, 1));
    console.log(`kill during save: ${JSON.stringify({ ...report, trials: undefined })}`);
    expect(tally.other + tally.unloadable).toBe(0);
    expect(tally.previous + tally.new).toBe(KILLS);
    // The kills did land inside saves, and both outcomes happened.
    expect(tally.unfinished).toBeGreaterThanOrEqual(KILLS / 3);
    expect(tally.previous).toBeGreaterThan(0);
    expect(tally.new).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 1_200_000);

  it('a real full quota (lowered through the DevTools protocol): the typed error in the UI, nothing stored is lost, and saving works again once there is room', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const h = await trainView(page);
    const origin = new URL(inject('baseURL')).origin;
    const cdp = await context.newCDPSession(page);
    const status = () => page.getByTestId('status').textContent();
    const train = async (steps: number) => {
      await page.getByTestId('preset').selectOption('micro');
      await page.getByTestId('steps').fill(String(steps));
      await clickAndFinish(page, page.getByTestId('train'));
    };

    // Something stored first: a short run and a large checkpoint.
    await train(2);
    expect(await status()).toBe('done');
    await h.saveLarge('quota-large', 1, 15);
    const before = await h.storeState();
    expect(before.checkpoints).toHaveLength(2);
    expect(before.checkpoints.every((c) => c.loads)).toBe(true);
    const runBytes = before.checkpoints.find((c) => c.id !== 'quota-large')!.bytes;

    // The origin's quota lowered below what it already uses: the storage is full. Chromium's IndexedDB
    // caches the space it may still use for up to about 30 s, so wait until a probe write is refused.
    const { usage, quota } = await cdp.send('Storage.getUsageAndQuota', { origin }) as { usage: number; quota: number };
    const quotaSize = Math.floor(usage / 2);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
    const probe = () => page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('quota-probe', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('s');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      try {
        await new Promise<void>((res, rej) => {
          const tx = db.transaction('s', 'readwrite');
          tx.objectStore('s').put(crypto.getRandomValues(new Uint8Array(1024)), 'x');
          tx.oncomplete = () => res();
          tx.onabort = tx.onerror = () => rej(tx.error);
        });
        return 'stored';
      } catch (e) {
        return (e as Error).name;
      } finally {
        db.close();
      }
    });
    const t0 = Date.now();
    await expect.poll(probe, { timeout: 120_000, interval: 2000 }).toBe('QuotaExceededError');
    console.log(`quota: usage ${usage} B of ${quota} B; lowered to ${quotaSize} B (refused after ${((Date.now() - t0) / 1000).toFixed(0)} s); a run's checkpoint is ${runBytes} B`);

    // A new run's first save does not fit: the run stops with the typed error, in words.
    await train(2);
    expect(await status()).toBe('error');
    const message = (await page.getByTestId('train-error').textContent()) ?? '';
    expect(message).toMatch(/^The browser's storage is full \([\d.]+ MB needed\)\. Delete old checkpoints or export them to files; nothing already stored was lost\.$/);
    await page.screenshot({ path: `${ARTIFACTS}quota-full.png`, fullPage: true });

    // Importing a checkpoint file (the bundled FLM, 4.4 MB): the same typed error, from the checkpoints worker.
    const bundled = readFileSync(new URL('../public/models/flm-micro-char.safetensors', import.meta.url));
    await page.getByTestId('import').setInputFiles({ name: 'bundled.safetensors', mimeType: 'application/octet-stream', buffer: bundled });
    const importError = page.locator('.error', { hasText: /^Import failed: / });
    await importError.waitFor({ timeout: 60_000 });
    expect(await importError.textContent()).toMatch(/^Import failed: The browser's storage is full \([\d.]+ MB needed\)\./);

    // The large checkpoint's next revision does not fit either (a save over an existing checkpoint).
    const over = await h.saveLarge('quota-large', 2, 15).then(() => 'saved', (e: unknown) => String(e));
    expect(over).toMatch(/storage is full/);

    // Nothing stored was lost: the same checkpoints, revisions and steps, all loading; no orphaned bytes.
    const after = await h.storeState();
    expect(after.checkpoints.map(({ id, rev, step, bytes, loads }) => ({ id, rev, step, bytes, loads })))
      .toEqual(before.checkpoints.map(({ id, rev, step, bytes, loads }) => ({ id, rev, step, bytes, loads })));
    expect(after.orphans).toBe(0);

    // Room again: the override removed, the same saves succeed.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    expect(await h.saveLarge('quota-large', 2, 15)).toMatchObject({ id: 'quota-large', step: 2, rev: 2 });
    await train(2);
    expect(await status()).toBe('done');
    expect((await h.storeState()).checkpoints.every((c) => c.loads)).toBe(true);
    await context.close();
  }, 1_200_000);
});
