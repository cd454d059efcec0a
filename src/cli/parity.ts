/**
 * `flm parity <dir> [--backend auto|wasm|webgpu|cpu] [--threads n]`: run every fixture recognised in
 * <dir> and compare with the official implementation's numbers.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDistillFixture, runStage1Parity, runStage2Parity } from '../parity/distill.ts';
import {
  END_OF_TIME_ALLOWANCE, isFlowMapSamplerFixture, isTwoNetworkSamplerFixture, runFlowMapSamplerParity, runTwoNetworkSamplerParity,
} from '../parity/flowMapSamplers.ts';
import { isEulerSamplerFixture, runEulerSamplerParity } from '../parity/eulerSampler.ts';
import { runTimeMapParity, TIME_MAP_TOLERANCE } from '../parity/timeMap.ts';
import { isDitFixture, runDitParity, TOLERANCES } from '../parity/dit.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { expectedFileOf, isCkptExpected, runCkptParity } from '../parity/ckpt.ts';
import { createBackend, type BackendChoice, type BackendName } from './backend.ts';
import { readRegular } from './files.ts';

/** A fixture file, read with bounds (a regular file of at most 4 GiB, checked before reading). */
const readFixture = (path: string): Uint8Array => readRegular(path, 'fixture', 4 * 2 ** 30 - 1);

export interface ParitySummary {
  backend: BackendName;
  files: number;
  /** `ckpt`: logits of the official Lightning checkpoints (`X.ckpt` with `X.expected.safetensors`). */
  max_rel_err: { logits: number; loss: number; grads: number; time_map: number; sampler: number; ckpt: number };
  pass: boolean;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

export async function parityCommand(dir: string, choice: BackendChoice, log: (s: string) => void, threads?: number): Promise<ParitySummary> {
  const backend = await createBackend(choice, { threads }, log);
  const backendName: BackendName = backend.name;
  // The wasm backend (f32 CPU kernels) is held to the CPU reference's tolerances.
  const tol = TOLERANCES[backendName === 'webgpu' ? 'webgpu' : 'cpu'];
  const summary: ParitySummary = { backend: backendName, files: 0, max_rel_err: { logits: 0, loss: 0, grads: 0, time_map: 0, sampler: 0, ckpt: 0 }, pass: true };
  const names = readdirSync(dir).sort();
  log(`parity on ${backend.description}, fixtures in ${dir}`);
  log('file                              | quantity                                     | rel. L2 err | tolerance | ok');
  log('----------------------------------|----------------------------------------------|-------------|-----------|---');
  const line = (file: string, what: string, err: number, t: number) => {
    const ok = err <= t;
    if (!ok) summary.pass = false;
    log(`${file.padEnd(34)}| ${what.padEnd(45)}| ${fmt(err).padStart(11)} | ${fmt(t).padStart(9)} | ${ok ? 'yes' : 'NO'}`);
  };
  for (const name of names) {
    const path = join(dir, name);
    if (name === 'time_map.json') {
      const rows = runTimeMapParity(JSON.parse(new TextDecoder().decode(readFixture(path))));
      for (const r of rows) {
        line(name, `K=${r.K} |α(γ) − α*| (abs)`, r.alphaErr, TIME_MAP_TOLERANCE.alpha);
        line(name, `K=${r.K} |γ(α) − γ*| (abs)`, r.gammaErr, TIME_MAP_TOLERANCE.gamma);
        summary.max_rel_err.time_map = Math.max(summary.max_rel_err.time_map, r.alphaErr, r.gammaErr);
      }
      summary.files++;
      continue;
    }
    if (name.endsWith('.ckpt')) {
      const expected = expectedFileOf(name);
      if (!names.includes(expected)) {
        log(`${name.padEnd(34)}| skipped: no ${expected} beside it`);
        continue;
      }
      try {
        const r = await runCkptParity(backend, readFixture(path), readFixture(join(dir, expected)), name);
        line(name, `logits, ${r.weights === 'ema' ? 'EMA' : 'raw'} weights, ${r.config.twoTime ? 'two-time' : 'one-time'} model`, r.relErr, tol.logits);
        summary.max_rel_err.ckpt = Math.max(summary.max_rel_err.ckpt, r.relErr);
      } catch (e) {
        // An unreadable checkpoint fails the run: it is a fixture that was meant to pass.
        line(name, `unreadable: ${(e as Error).message}`.slice(0, 45), Infinity, tol.logits);
        log(`${name.padEnd(34)}| ${(e as Error).message}`);
        summary.max_rel_err.ckpt = Infinity;
      }
      summary.files++;
      continue;
    }
    if (!name.endsWith('.safetensors')) continue;
    const bytes = readFixture(path);
    let file;
    try {
      file = readSafetensors(bytes);
    } catch (e) {
      log(`${name.padEnd(34)}| skipped: ${(e as Error).message}`);
      continue;
    }
    if (name.endsWith('.expected.safetensors') && isCkptExpected(file)) {
      if (!names.includes(name.replace(/\.expected\.safetensors$/, '.ckpt'))) log(`${name.padEnd(34)}| skipped: its checkpoint ${name.replace(/\.expected\.safetensors$/, '.ckpt')} is not in ${dir}`);
      continue;
    }
    if (isEulerSamplerFixture(file)) {
      const model = `${file.metadata.model ?? 'dit_flm'}.safetensors`;
      if (!names.includes(model)) {
        log(`${name.padEnd(34)}| skipped: its model ${model} is not in ${dir}`);
        continue;
      }
      const r = await runEulerSamplerParity(backend, file, readFixture(join(dir, model)));
      r.stepErrors.forEach((e, k) => line(name, `Euler step ${k}→${k + 1} state`, e, tol.logits));
      const tokErr = r.tokensChecked ? 1 - r.tokensEqual / r.tokensChecked : 0;
      line(name, `tokens (${r.tokensEqual}/${r.tokensChecked} equal, margin > 1e-3)`, tokErr, 0);
      summary.max_rel_err.sampler = Math.max(summary.max_rel_err.sampler, ...r.stepErrors);
      summary.files++;
      continue;
    }
    const stage = isDistillFixture(file);
    const twoNet = isTwoNetworkSamplerFixture(file), oneNet = isFlowMapSamplerFixture(file);
    if (stage || twoNet || oneNet) {
      const needs = ['dit_flowmap.safetensors', ...(oneNet ? [] : ['dit_flm.safetensors']), ...(stage === 2 ? ['distill_stage1.safetensors'] : [])];
      const missing = needs.filter((x) => !names.includes(x));
      if (missing.length) {
        log(`${name.padEnd(34)}| skipped: needs ${missing.join(', ')} in ${dir}`);
        continue;
      }
      const load = (x: string) => readSafetensors(readFixture(join(dir, x)));
      const flowmap = load('dit_flowmap.safetensors');
      if (stage) {
        const flm = load('dit_flm.safetensors');
        const r = stage === 1 ? await runStage1Parity(backend, file, flm, flowmap)
          : await runStage2Parity(backend, file, load('distill_stage1.safetensors'), flm, flowmap);
        for (const row of r.rows) if (row.kind !== 'grads' || row.relErr > tol.grads) line(name, row.name, row.relErr, row.kind === 'grads' ? tol.grads : tol.loss);
        const grads = r.rows.filter((x) => x.kind === 'grads');
        line(name, `max over ${grads.length} student grads`, r.max.grads, tol.grads);
        summary.max_rel_err.loss = Math.max(summary.max_rel_err.loss, r.max.loss);
        summary.max_rel_err.grads = Math.max(summary.max_rel_err.grads, r.max.grads);
      } else {
        const r = twoNet ? await runTwoNetworkSamplerParity(backend, file, load('dit_flm.safetensors'), flowmap)
          : await runFlowMapSamplerParity(backend, file, flowmap);
        for (const row of r.rows) line(name, row.endsAtOne ? `${row.name} (t = 1)` : row.name, row.relErr, row.endsAtOne ? Math.max(tol.logits, END_OF_TIME_ALLOWANCE) : tol.logits);
        line(name, `tokens (${r.tokensEqual}/${r.tokensChecked} equal, margin > 1e-3)`, r.tokensChecked ? 1 - r.tokensEqual / r.tokensChecked : 0, 0);
        // A step ending at t = 1 has its own tolerance (the table shows it); the summary's sampler figure is the comparable steps'.
        summary.max_rel_err.sampler = Math.max(summary.max_rel_err.sampler, ...r.rows.filter((x) => !x.endsAtOne).map((x) => x.relErr));
      }
      summary.files++;
      continue;
    }
    if (!name.startsWith('dit_') || !isDitFixture(file)) {
      if (!name.startsWith('checkpoint_')) log(`${name.padEnd(34)}| not recognised by this version (skipped)`);
      continue;
    }
    const r = await runDitParity(backend, bytes, name);
    for (const row of r.rows) {
      const t = tol[row.kind];
      // Print the headline rows and any failing gradient; the summary keeps all.
      if (row.kind !== 'grads' || row.relErr > t) line(name, row.name, row.relErr, t);
    }
    const worst = r.rows.filter((x) => x.kind === 'grads').reduce((a, b) => (b.relErr > a.relErr ? b : a));
    line(name, `max over ${r.rows.filter((x) => x.kind === 'grads').length} grads (${worst.name.replace('grad.', '')})`, worst.relErr, tol.grads);
    for (const k of ['logits', 'loss', 'grads'] as const) summary.max_rel_err[k] = Math.max(summary.max_rel_err[k], r.max[k]);
    summary.files++;
  }
  if (summary.files === 0) {
    summary.pass = false;
    log(`no fixtures recognised in ${dir}`);
  }
  backend.destroy();
  return summary;
}
