/**
 * `npm run bench:longrun [-- --steps 5000 --batch 1 --backend webgpu --every 500 --out file.json]`
 *
 * A long headless training run of `micro` on the bundled corpus that does
 * everything the studio's training worker does (train steps, validation,
 * checkpoint snapshots and encoding, sample previews) and records, at
 * intervals, the GPU buffers handed out and ever created (with bytes), the
 * pipelines, and the JS heap after a forced GC. No growth after warm-up means
 * no leak. Prints a table; writes JSON (bench/results/longrun.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createBackend, type BackendName } from '../src/cli/backend.ts';
import { loadCorpusText } from '../src/cli/train.ts';
import { CharTokenizer } from '../src/data/charTokenizer.ts';
import { splitTrainVal } from '../src/data/corpus.ts';
import { EulerSampler } from '../src/flm/sampler.ts';
import { encodeCheckpoint } from '../src/io/checkpoint.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { presetConfig, presetTrain } from '../src/train/presets.ts';
import { FlmTrainer } from '../src/train/trainer.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '5000' }, batch: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'webgpu' }, every: { type: 'string', default: '500' },
    out: { type: 'string', default: 'bench/results/longrun.json' },
  },
});
const steps = Number(values.steps), batch = Number(values.batch), every = Number(values.every);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.error('run with node --expose-gc for heap figures after GC (npm run bench:longrun does)');

const corpus = loadCorpusText('brown');
const tokenizer = CharTokenizer.fromText(corpus.text);
const split = splitTrainVal(corpus.text);
const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
const backend = await createBackend(values.backend as BackendName);
const cfg = presetConfig('micro', tokenizer.vocabSize);
const trainer = new FlmTrainer(backend, cfg, { ...presetTrain('micro', steps), batch, steps, evalEvery: 100 }, data);
const sampler = new EulerSampler(backend, cfg, 1, trainer.ema, trainer.timeMap);

interface Row { step: number; seconds: number; loss: number; val_ce: number; live_buffers: number | null; created_buffers: number | null; created_mb: number | null; pipelines: number | null; heap_mb: number; rss_mb: number }
const rows: Row[] = [];
const t0 = performance.now();
let lastVal = NaN, lastLoss = NaN;
const record = () => {
  gc?.();
  const ctx = backend instanceof GpuBackend ? backend.ctx : null;
  const m = process.memoryUsage();
  const row: Row = {
    step: trainer.step, seconds: (performance.now() - t0) / 1000, loss: lastLoss, val_ce: lastVal,
    live_buffers: ctx?.liveBuffers ?? null, created_buffers: ctx?.createdBuffers ?? null,
    created_mb: ctx ? ctx.createdBytes / 2 ** 20 : null, pipelines: ctx?.pipelineCount ?? null,
    heap_mb: m.heapUsed / 2 ** 20, rss_mb: m.rss / 2 ** 20,
  };
  rows.push(row);
  console.error(`step ${row.step}: ${row.seconds.toFixed(0)} s, loss ${lastLoss.toFixed(3)}, val ${lastVal.toFixed(3)}, buffers ${row.live_buffers} live / ${row.created_buffers} created (${row.created_mb?.toFixed(1)} MB), pipelines ${row.pipelines}, heap ${row.heap_mb.toFixed(1)} MB, rss ${row.rss_mb.toFixed(0)} MB`);
};

record();
while (trainer.step < steps) {
  const r = await trainer.trainStep();
  if (r.nonFinite) throw new Error(`non-finite loss at step ${r.step}`);
  lastLoss = r.loss;
  if (trainer.step % 100 === 0) lastVal = await trainer.validate();
  if (trainer.step % every === 0 || trainer.step === 10 || trainer.step === 100) {
    // what a studio save and preview do
    const ckpt = await trainer.snapshot({ kind: 'flm', name: 'longrun', createdAt: new Date().toISOString() });
    encodeCheckpoint(ckpt);
    await sampler.sample(8, trainer.step);
    record();
  }
}
sampler.release();
trainer.release();
const ctx = backend instanceof GpuBackend ? backend.ctx : null;
const after = { live_buffers_after_release: ctx?.liveBuffers ?? null };
backend.destroy();

console.log(`\n## Long run: micro, batch ${batch}, ${steps} steps, ${values.backend} (validation every 100, snapshot + preview every ${every})\n`);
console.log('| step | s | loss | val CE | live buffers | buffers created | MB created | pipelines | JS heap MB | RSS MB |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.step} | ${r.seconds.toFixed(0)} | ${r.loss.toFixed(3)} | ${r.val_ce.toFixed(3)} | ${r.live_buffers ?? '—'} | ${r.created_buffers ?? '—'} | ${r.created_mb?.toFixed(1) ?? '—'} | ${r.pipelines ?? '—'} | ${r.heap_mb.toFixed(1)} | ${r.rss_mb.toFixed(0)} |`);
console.log(`\nlive buffers after release: ${after.live_buffers_after_release ?? "—"} (1 is the context-wide one-element scratch of the weighted-loss kernel, made once)`);
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify({ date: new Date().toISOString(), steps, batch, backend: values.backend, rows, ...after }, null, 1));
