import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, inject, it } from 'vitest';
import { ONNX_META, readOnnxMetadata } from '../src/io/onnx/index.ts';
import type { TrajectoryJSON } from '../src/sampling/trajectory.ts';
import { ARTIFACTS, watchErrors } from './browser.ts';
import { openPage } from './hooks.ts';

const root = new URL('../', import.meta.url).pathname;

/**
 * ONNX in the studio: "Export ONNX" on a stored checkpoint gives a file
 * onnxruntime-node opens and runs; the Sample view samples the bundled FMLM
 * and FLM with the studio's own network and with the ONNX export on
 * onnxruntime-web (its .wasm served by the production build), same seed:
 * the same tokens and the same frames.
 */
describe('ONNX export and sampling with onnxruntime-web in headless Chromium', () => {
  /** Every URL the studio asked for (page, workers), to check where onnxruntime's .wasm comes from. */
  const requested: string[] = [];
  /** The FMLM's one-step tokens with the studio's network (seed 21), for the offline run. */
  let fmlmTokens: number[][] | undefined;
  const tab = openPage({ acceptDownloads: true }, { webgpu: false, setup: (ctx) => { ctx.on('request', (r) => { requested.push(r.url()); }); } });

  it('Export ONNX on a stored checkpoint downloads a model that onnxruntime-node opens and runs', async () => {
    await tab.page.goto(`${inject('baseURL')}?view=train`);
    await tab.page.getByTestId('import').setInputFiles(`${root}public/models/fmlm-micro-char.safetensors`);
    const row = tab.page.locator('[data-testid="checkpoint-row"][data-kind="fmlm"]');
    await row.first().waitFor({ timeout: 60_000 });
    const [d] = await Promise.all([tab.page.waitForEvent('download', { timeout: 120_000 }), row.first().getByTestId('export-onnx').click()]);
    expect(d.suggestedFilename()).toMatch(/\.onnx$/);
    const bytes = new Uint8Array(readFileSync((await d.path())!));
    const cfg = JSON.parse(readOnnxMetadata(bytes)[ONNX_META.config]!) as { vocab: number; length: number; twoTime: boolean };
    expect(cfg.twoTime).toBe(true);
    const session = await ort.InferenceSession.create(bytes);
    expect([...session.inputNames].sort()).toEqual(['t', 't_prime', 'xt']);
    const { vocab: V, length: L } = cfg;
    const out = await session.run({
      xt: new ort.Tensor('float32', new Float32Array(L * V).fill(1 / V), [1, L, V]),
      t: new ort.Tensor('float32', new Float32Array([0]), [1]),
      t_prime: new ort.Tensor('float32', new Float32Array([1]), [1]),
    });
    expect(out.logits.dims).toEqual([1, L, V]);
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
    console.log(`Export ONNX: ${d.suggestedFilename()}, ${bytes.length} bytes, V ${V}, L ${L}`);
  });

  const generate = async () => {
    await tab.page.getByTestId('generate').click();
    await tab.page.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await tab.page.getByTestId('sample-error').textContent({ timeout: 500 }).catch(() => null);
    expect(await tab.page.getByTestId('sample-status').textContent(), err ?? '').toBe('done');
  };
  const exportJson = async (): Promise<TrajectoryJSON> => {
    const [d] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByTestId('export-json').click()]);
    return JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
  };

  const cases: [string, string, number][] = [['FMLM', 'fmlm-micro-char.safetensors', 1], ['FLM', 'flm-micro-char.safetensors', 3]];
  for (const [name, file, steps] of cases) {
    it(`${name}, ${steps} step${steps > 1 ? 's' : ''}: the studio's network and onnxruntime-web give the same frames and tokens`, async () => {
      await tab.page.goto(`${inject('baseURL')}?view=sample&model=bundled:${file}&steps=${steps}&seed=21&count=2&k=4&backend=cpu`);
      await tab.page.getByTestId('model-info').waitFor({ timeout: 120_000 });
      await tab.page.getByTestId('sample-runtime').selectOption('studio');
      await generate();
      const studio = await exportJson();
      const studioInfo = await tab.page.getByTestId('sample-runtime-info').textContent();

      await tab.page.getByTestId('sample-runtime').selectOption('onnx');
      expect(new URL(tab.page.url()).searchParams.get('runtime')).toBe('onnx');
      await generate();
      const info = tab.page.getByTestId('sample-runtime-info');
      expect(await info.getAttribute('data-runtime')).toBe('onnx');
      const onnxInfo = (await info.textContent())!;
      expect(onnxInfo).toMatch(/onnxruntime-web [\d.]+ \(wasm, \d+ threads?\)/);
      const viaOnnx = await exportJson();
      expect(viaOnnx.meta.backend).toMatch(/^onnxruntime-web/);

      expect(viaOnnx.tokens).toEqual(studio.tokens);
      expect(viaOnnx.texts).toEqual(studio.texts);
      expect(viaOnnx.frames.length).toBe(steps + 1);
      expect(viaOnnx.frames.length).toBe(studio.frames.length);
      let worst = 0;
      viaOnnx.frames.forEach((f, k) => {
        const s = studio.frames[k];
        expect(f.argmax_z).toEqual(s.argmax_z);
        expect(f.argmax_p).toEqual(s.argmax_p);
        // best first: compared rank by rank (a near-tie may swap two lower candidates' ids, never the probabilities)
        const sp = s.top_p.probs.flat(2);
        f.top_p.probs.flat(2).forEach((p, i) => { worst = Math.max(worst, Math.abs(p - sp[i])); });
      });
      expect(worst).toBeLessThan(1e-4);
      if (name === 'FMLM') fmlmTokens = studio.tokens;
      console.log(`${name} ${steps} step(s): frames' top-k probabilities max |Δ| ${worst.toExponential(1)}\n  studio: ${studioInfo}\n  onnx:   ${onnxInfo}`);
      await tab.page.screenshot({ path: `${ARTIFACTS}onnx-sample-${name.toLowerCase()}.png`, fullPage: true });
    });
  }

  it("onnxruntime's .wasm is the studio's own file: fetched from its origin, and after one visit it samples offline", async () => {
    const origin = new URL(inject('baseURL')).origin;
    const wasm = requested.filter((u) => /ort-wasm[^/]*\.wasm(\?|$)/.test(u));
    console.log(`onnxruntime .wasm requests: ${wasm.join(', ') || 'none seen'}`);
    expect(wasm.length).toBeGreaterThan(0);
    for (const u of wasm) expect(new URL(u).origin).toBe(origin);
    expect(requested.filter((u) => !u.startsWith(origin) && !/^(data|blob):/.test(u))).toEqual([]);

    const ctx = await tab.browser.newContext({ acceptDownloads: true });
    const p = await ctx.newPage();
    const offlineErrors = watchErrors(p);
    await p.goto(`${inject('baseURL')}?view=sample&model=bundled:fmlm-micro-char.safetensors&steps=1&seed=21&count=2&k=4&runtime=onnx`);
    await p.getByTestId('model-info').waitFor({ timeout: 120_000 });
    // The service worker has precached the app (the .wasm included) once it controls the page.
    await p.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 120_000 });
    await ctx.setOffline(true);
    await p.reload();
    await p.getByTestId('model-info').waitFor({ timeout: 120_000 });
    expect(await p.getByTestId('sample-runtime').inputValue()).toBe('onnx');
    await p.getByTestId('generate').click();
    await p.getByTestId('sample-status').filter({ hasText: /^(done|error)$/ }).waitFor({ timeout: 300_000 });
    const err = await p.getByTestId('sample-error').textContent({ timeout: 500 }).catch(() => null);
    expect(await p.getByTestId('sample-status').textContent(), err ?? '').toBe('done');
    expect(await p.getByTestId('sample-runtime-info').textContent()).toMatch(/onnxruntime-web/);
    const [d] = await Promise.all([p.waitForEvent('download'), p.getByTestId('export-json').click()]);
    const offline = JSON.parse(readFileSync((await d.path())!, 'utf8')) as TrajectoryJSON;
    expect(fmlmTokens).toBeDefined();
    expect(offline.tokens).toEqual(fmlmTokens);
    expect(offlineErrors).toEqual([]);
    await ctx.close();
  });

  it('no page errors', () => {
    expect(tab.errors).toEqual([]);
  });
});
