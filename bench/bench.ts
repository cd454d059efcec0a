/**
 * `npm run bench [-- --sizes micro,small --backends webgpu,cpu --out file.json]`
 *
 * Per-kernel throughput (GFLOP/s or GB/s) and the time of one DiT
 * forward+backward for the named model sizes, on every backend asked for.
 * Ratios are against the CPU reference backend measured in the same run.
 * Prints a table and writes the figures as JSON (bench/results/ by default).
 */
import { parseArgs } from 'node:util';
import type { Backend } from '../src/engine/backend.ts';
import { createBackend, type BackendName } from '../src/cli/backend.ts';
import { DiT } from '../src/model/dit.ts';
import { initParams } from '../src/model/init.ts';
import { forwardFlops, parameterCount, PRESETS, presetConfig, presetTrain } from '../src/train/presets.ts';
import { EulerSampler } from '../src/flm/sampler.ts';
import { summarizeFrame } from '../src/sampling/frames.ts';
import { benchTrainer, filled, rand, resultsPath, timeIt, trainStepMs, writeJson } from './common.ts';

interface KernelCase {
  name: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** FLOPs or bytes moved per run. */
  work: number;
  setup(b: Backend): () => void;
}

function kernelCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const n of [256, 512]) {
    for (const [ta, tb] of [[false, true], [true, false], [false, false]] as const) {
      cases.push({
        name: `matmul ${n}³ ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}`, unit: 'GFLOP/s', work: 2 * n * n * n,
        setup: (b) => { const A = filled(b, n * n, 1), B = filled(b, n * n, 2), C = b.tensor(n * n); return () => b.ops.matmul(C, A, B, { M: n, N: n, K: n, transA: ta, transB: tb }); },
      });
    }
  }
  const att = { batch: 8, length: 128, heads: 8, headDim: 32, softcap: 50 };
  const qn = att.batch * att.heads * att.length * att.headDim, an = att.batch * att.heads * att.length * att.length;
  const attFlops = 4 * att.batch * att.heads * att.length * att.length * att.headDim;
  cases.push({
    name: 'attention fwd B8 L128 H8 d32', unit: 'GFLOP/s', work: attFlops,
    setup: (b) => { const q = filled(b, qn, 3), k = filled(b, qn, 4), v = filled(b, qn, 5), o = b.tensor(qn), a = b.tensor(an); return () => b.ops.attention({ o, att: a, q, k, v }, att); },
  });
  cases.push({
    name: 'attention bwd B8 L128 H8 d32', unit: 'GFLOP/s', work: 2 * attFlops,
    setup: (b) => {
      const q = filled(b, qn, 3), k = filled(b, qn, 4), v = filled(b, qn, 5), o = b.tensor(qn), a = b.tensor(an);
      b.ops.attention({ o, att: a, q, k, v }, att);
      const dO = filled(b, qn, 6), dq = b.tensor(qn), dk = b.tensor(qn), dv = b.tensor(qn), s = b.tensor(an);
      return () => b.ops.attentionBackward({ dq, dk, dv, scratch: s, dout: dO, att: a, q, k, v, o }, att);
    },
  });
  const R = 4096, D = 256;
  cases.push({
    name: `lnModulate ${R}×${D}`, unit: 'GB/s', work: 4 * (2 * R * D),
    setup: (b) => {
      const x = filled(b, R * D, 7), w = filled(b, D, 8), mod = filled(b, 32 * 6 * D, 9), out = b.tensor(R * D), m = b.tensor(R), r = b.tensor(R);
      return () => b.ops.lnModulate({ out, mean: m, rstd: r, x, w, mod }, { rows: R, dim: D, rowsPerItem: 128, modStride: 6 * D, shiftOffset: 0, scaleOffset: D, eps: 1e-5 });
    },
  });
  cases.push({
    name: `gelu ${R}×${4 * D}`, unit: 'GB/s', work: 4 * 2 * R * 4 * D,
    setup: (b) => { const x = filled(b, R * 4 * D, 10), y = b.tensor(R * 4 * D); return () => b.ops.gelu(y, x, R * 4 * D, 'tanh'); },
  });
  const V = 4096, rows = 1024;
  cases.push({
    name: `softmax ${rows}×${V}`, unit: 'GB/s', work: 4 * 2 * rows * V,
    setup: (b) => { const x = filled(b, rows * V, 11), y = b.tensor(rows * V); return () => b.ops.softmax(y, x, rows, V); },
  });
  cases.push({
    name: `gaussian noise ${rows * V}`, unit: 'GB/s', work: 4 * rows * V,
    setup: (b) => { const y = b.tensor(rows * V); return () => b.ops.gaussian(y, rows * V, 1234, 0); },
  });
  return cases;
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: 'micro,small' },
      backends: { type: 'string', default: 'webgpu,cpu' },
      out: { type: 'string', default: resultsPath('bench') },
      'small-batch': { type: 'string', default: '8' },
      vocab: { type: 'string', default: '65' },
    },
  });
  const backends = values.backends!.split(',') as BackendName[];
  const sizes = values.sizes!.split(',').filter(Boolean) as (keyof typeof PRESETS)[];
  const vocab = Number(values.vocab);
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, kernels: [], models: [] };
  const kernelRows: { kernel: string; unit: string; [backend: string]: number | string }[] = [];
  const modelRows: { size: string; params: number; batch: number; gflop: number; [k: string]: number | string }[] = [];
  for (const name of backends) {
    const b = await createBackend(name);
    (result as Record<string, string>)[`${name}_device`] = b.description;
    console.error(`# ${name}: ${b.description}`);
    for (const kc of kernelCases()) {
      if (name === 'cpu' && kc.work > 2e9) continue;
      const s = await timeIt(b, kc.setup(b), name === 'cpu' ? 0.5 : 1, 20);
      let row = kernelRows.find((r) => r.kernel === kc.name);
      if (!row) { row = { kernel: kc.name, unit: kc.unit }; kernelRows.push(row); }
      row[name] = kc.work / s / 1e9;
      console.error(`  ${kc.name}: ${(kc.work / s / 1e9).toFixed(2)} ${kc.unit}`);
    }
    for (const size of sizes) {
      const cfg = presetConfig(size, vocab);
      const batch = size === 'small' ? Number(values['small-batch']) : PRESETS[size].batch;
      const model = new DiT(b, cfg, batch);
      b.write(model.params, initParams(model.layout, 1));
      const x = rand(batch * cfg.length * cfg.vocab, 3);
      b.write(model.x, x);
      b.write(model.t, new Float32Array(batch).fill(0.5));
      b.write(model.targets, new Uint32Array(batch * cfg.length).map((_, i) => i % cfg.vocab));
      const s = await timeIt(b, () => { model.forward(); model.crossEntropyLoss(); model.backward(); }, 2, 10);
      const flops = 3 * forwardFlops(cfg, batch);
      let row = modelRows.find((r) => r.size === size);
      if (!row) { row = { size, params: parameterCount(cfg), batch, gflop: flops / 1e9 }; modelRows.push(row); }
      row[`${name}_ms`] = s * 1000;
      row[`${name}_tokens_per_s`] = (batch * cfg.length) / s;
      console.error(`  DiT ${size} fwd+bwd: ${(s * 1000).toFixed(1)} ms`);
      // The whole training step: noise, forward, loss, backward, grad norm, AdamW, EMA, loss readback.
      const trainer = benchTrainer(b, cfg, { ...presetTrain(size), batch });
      const { ms: stepMs } = await trainStepMs(trainer, 3, 10, 3000);
      row[`${name}_train_ms`] = stepMs;
      row[`${name}_train_tokens_per_s`] = (batch * cfg.length) / (stepMs / 1000);
      console.error(`  training step ${size}: ${stepMs.toFixed(1)} ms, ${((batch * cfg.length) / (stepMs / 1000)).toFixed(0)} tokens/s`);
      // Sampling latency: one sequence, 8 Euler steps (after a warm-up run that compiles the pipelines).
      const sampler = new EulerSampler(b, cfg, 1, trainer.ema, trainer.timeMap);
      await sampler.sample(8, 1);
      const s0 = performance.now();
      await sampler.sample(8, 2);
      const sampleMs = performance.now() - s0;
      row[`${name}_sample_ms`] = sampleMs;
      console.error(`  sample ${size} (1 × L, 8 Euler steps): ${sampleMs.toFixed(1)} ms, ${(sampleMs / 8).toFixed(1)} ms/step`);
      sampler.release();
      // The studio's path: 8 sequences at once, with and without the per-frame summaries (readbacks, top-8, entropy).
      const batch8 = new EulerSampler(b, cfg, 8, trainer.ema, trainer.timeMap);
      const rows8 = 8 * cfg.length;
      await batch8.sample(8, 1);
      const b0 = performance.now();
      await batch8.sample(8, 2);
      row[`${name}_sample8_ms`] = performance.now() - b0;
      const f0 = performance.now();
      await batch8.sample(8, 3, (f) => { summarizeFrame(f, rows8, cfg.vocab, 8); });
      row[`${name}_sample8_frames_ms`] = performance.now() - f0;
      console.error(`  sample ${size} (8 × L, 8 steps): ${(row[`${name}_sample8_ms`] as number).toFixed(1)} ms, with frame summaries ${(row[`${name}_sample8_frames_ms`] as number).toFixed(1)} ms`);
      batch8.release();
      trainer.release();
    }
    b.destroy();
  }
  result.kernels = kernelRows;
  result.models = modelRows;
  const base = backends.includes('cpu') && backends.length > 1 ? 'cpu' : null;
  console.log('\n## Kernels\n');
  console.log(`| kernel | unit | ${backends.join(' | ')}${base ? ` | ${backends.filter((x) => x !== base).map((x) => `${x}/cpu`).join(' | ')}` : ''} |`);
  console.log(`|---|---|${backends.map(() => '---:').join('|')}|${base ? backends.filter((x) => x !== base).map(() => '---:').join('|') + '|' : ''}`);
  for (const r of kernelRows) {
    const vals = backends.map((x) => (typeof r[x] === 'number' ? (r[x] as number).toFixed(2) : '—'));
    const ratios = base ? backends.filter((x) => x !== base).map((x) => (typeof r[x] === 'number' && typeof r[base] === 'number' ? `${((r[x] as number) / (r[base] as number)).toFixed(2)}×` : '—')) : [];
    console.log(`| ${r.kernel} | ${r.unit} | ${vals.join(' | ')}${ratios.length ? ` | ${ratios.join(' | ')}` : ''} |`);
  }
  console.log('\n## Training step (noise, forward, loss, backward, grad norm, AdamW, EMA) in Node\n');
  console.log(`| size | batch | ${backends.map((x) => `${x} ms | ${x} tokens/s`).join(' | ')}${base ? ` | ${backends.filter((x) => x !== base).map((x) => `${x} vs cpu`).join(' | ')}` : ''} |`);
  console.log(`|---|---:|${backends.map(() => '---:|---:').join('|')}|${base ? backends.filter((x) => x !== base).map(() => '---:').join('|') + '|' : ''}`);
  for (const r of modelRows) {
    const vals = backends.map((x) => `${(r[`${x}_train_ms`] as number)?.toFixed(1) ?? '—'} | ${(r[`${x}_train_tokens_per_s`] as number)?.toFixed(0) ?? '—'}`);
    const ratios = base ? backends.filter((x) => x !== base).map((x) => `${((r[`${base}_train_ms`] as number) / (r[`${x}_train_ms`] as number)).toFixed(2)}×`) : [];
    console.log(`| ${r.size} | ${r.batch} | ${vals.join(' | ')}${ratios.length ? ` | ${ratios.join(' | ')}` : ''} |`);
  }
  console.log('\n## Euler sampling latency in Node (8 steps; batch 1, and batch 8 without / with the per-frame summaries the studio streams)\n');
  console.log('| size | backend | 1 seq: ms/sample | 1 seq: ms/step | 8 seq: ms/sample | 8 seq: ms/step | 8 seq + frames: ms/step |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const f1 = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(1) : '—');
  for (const r of modelRows) {
    for (const x of backends) {
      const one = r[`${x}_sample_ms`] as number, eight = r[`${x}_sample8_ms`] as number, fr = r[`${x}_sample8_frames_ms`] as number;
      console.log(`| ${r.size} | ${x} | ${f1(one)} | ${f1(one / 8)} | ${f1(eight / 8)} | ${f1(eight / 8)} | ${f1(fr / 8)} |`);
    }
  }
  console.log('\n## DiT forward + backward (one training step without the optimiser)\n');
  console.log(`| size | params | batch | GFLOP | ${backends.map((x) => `${x} ms | ${x} tokens/s`).join(' | ')}${base ? ` | ${backends.filter((x) => x !== base).map((x) => `${x} speed-up vs cpu`).join(' | ')}` : ''} |`);
  console.log(`|---|---:|---:|---:|${backends.map(() => '---:|---:').join('|')}|${base ? backends.filter((x) => x !== base).map(() => '---:').join('|') + '|' : ''}`);
  for (const r of modelRows) {
    const vals = backends.map((x) => `${(r[`${x}_ms`] as number)?.toFixed(1) ?? '—'} | ${(r[`${x}_tokens_per_s`] as number)?.toFixed(0) ?? '—'}`);
    const ratios = base ? backends.filter((x) => x !== base).map((x) => `${((r[`${base}_ms`] as number) / (r[`${x}_ms`] as number)).toFixed(2)}×`) : [];
    console.log(`| ${r.size} | ${r.params.toLocaleString()} | ${r.batch} | ${r.gflop.toFixed(2)} | ${vals.join(' | ')}${ratios.length ? ` | ${ratios.join(' | ')}` : ''} |`);
  }
  writeJson(values.out!, result);
  console.log(`\nwrote ${values.out}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
