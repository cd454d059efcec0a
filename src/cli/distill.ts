/**
 * `flm distill`: flow-map distillation headless, on the same engine as the studio.
 *   npm run flm -- distill --stage 1 --teacher <flm.safetensors> --steps N --out <g.safetensors>
 *   npm run flm -- distill --stage 2 --teacher <flm.safetensors> --teacher-g <g.safetensors> --steps N --out <fmlm.safetensors>
 *                          [--resume <file>] [--corpus <brown|file>] [--seed S] [--backend cpu|webgpu] [--batch B] [--lr x]
 *                          [--warmup n] [--eval-every n] [--save-every n]
 * The corpus and tokenizer are the teacher's (its checkpoint records both).
 * Progress on stderr; the last stdout line is one JSON object
 * {"stage","steps","first_loss","last_loss","val_error","tokens_per_s",…}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSameCorpus, corpusDigest, splitTrainVal } from '../data/corpus.ts';
import { tokenizerFromJSON, type TokenizerJSON } from '../data/tokenizer.ts';
import { DistillTrainer, distillTrainConfig } from '../distill/trainer.ts';
import type { Stage } from '../distill/init.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../io/checkpoint.ts';
import type { ModelRef, RunMeta } from '../io/meta.ts';
import type { TrainConfig } from '../train/schedule.ts';
import { createBackend } from './backend.ts';
import { ProgressLine } from './progress.ts';
import { loadCorpusText, withOverrides, writeFileAtomic, type RunOptions } from './train.ts';

export interface DistillOptions extends RunOptions {
  stage: Stage;
  teacher: string;
  teacherG?: string;
  corpus?: string;
}

export interface DistillSummary {
  stage: Stage;
  steps: number;
  first_loss: number;
  last_loss: number;
  /** Mean distillation error Σ_v (target − prediction)² per token on the fixed validation batches. */
  val_error: number;
  tokens_per_s: number;
  params: number;
  backend: string;
  out: string;
}

const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/models');

/**
 * A teacher among the studio's bundled models (public/models/) is recorded
 * by file name, so that the studio can load it for resumes and comparisons;
 * any other path by its name only (informative).
 */
function bundledSource(path: string): ModelRef | undefined {
  const abs = resolve(path);
  return dirname(abs) === MODELS ? { kind: 'bundled', file: basename(abs) } : undefined;
}

/** Where the studio finds this run's teachers: recorded only when both are bundled models. */
function teacherSources(f: string, g: string | undefined): RunMeta {
  const fRef = bundledSource(f), gRef = g === undefined ? undefined : bundledSource(g);
  if (!fRef || (g !== undefined && !gRef)) return {};
  return { teacherSources: { f: fRef, ...(gRef ? { g: gRef } : {}) } };
}

const read = (path: string, what: string): Checkpoint => {
  if (!existsSync(path)) throw new Error(`no ${what} file ${path}`);
  return decodeCheckpoint(new Uint8Array(readFileSync(path)));
};

/** The corpus a checkpoint was trained on, as `loadCorpusText` understands it. */
function corpusOf(c: Checkpoint): string | undefined {
  const saved = (c.meta.data as { corpus?: unknown } | undefined)?.corpus;
  if (typeof saved === 'string') return saved;
  if (saved && typeof saved === 'object') {
    const s = saved as { kind?: string; id?: string; name?: string };
    return s.kind === 'bundled' ? s.id : s.name;
  }
  return undefined;
}

export async function distillCommand(o: DistillOptions, log: (s: string) => void): Promise<DistillSummary> {
  const f = read(o.teacher, 'teacher');
  const g = o.teacherG ? read(o.teacherG, 'stage-1 teacher') : undefined;
  if (o.stage === 2 && !g) throw new Error('stage 2 needs --teacher-g <stage-1 checkpoint>');
  const resume = o.resume ? read(o.resume, 'resume') : undefined;
  if (!f.meta.tokenizer) throw new Error(`the teacher ${o.teacher} has no tokenizer, so its corpus cannot be encoded`);
  const tokenizer = tokenizerFromJSON(f.meta.tokenizer);
  const corpusSpec = o.corpus ?? corpusOf(f);
  if (!corpusSpec) throw new Error('the teacher does not record its corpus: give --corpus <brown|file>');
  const corpus = loadCorpusText(corpusSpec);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus((resume.meta.data as { sha256?: unknown } | undefined)?.sha256, sha256, `"${corpusSpec}"`);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  const base = (resume?.meta.train as TrainConfig | undefined) ?? distillTrainConfig(f, o.steps);
  const train = withOverrides(base, o, !!resume);
  const backend = await createBackend(o.backend);
  try {
    const trainer = new DistillTrainer(backend, o.stage, { f, g }, train, data, resume);
    log(`stage ${o.stage}: teacher ${o.teacher} (step ${f.meta.step})${g ? `, g ${o.teacherG} (step ${g.meta.step})` : ''}; corpus ${corpus.id}, vocab ${tokenizer.vocabSize}`);
    log(`student: ${trainer.config.twoTime ? 'two-time' : ''} DiT, batch ${train.batch} × L ${f.config.length}, lr ${train.lr}; backend ${backend.description}`);
    if (resume) log(`resuming from ${o.resume} at step ${trainer.step}`);
    const start = trainer.step, target = start + o.steps;
    const progress = new ProgressLine(o.steps, (s) => process.stderr.write(s));
    const save = async () => {
      const ckpt = await trainer.snapshot({
        name: `${o.stage === 1 ? 'flow map (stage 1)' : 'FMLM (stage 2)'} of ${f.meta.name}`, createdAt: new Date().toISOString(),
        tokenizer: f.meta.tokenizer,
        data: { corpus: f.meta.data?.corpus ?? { kind: 'text', name: corpus.id }, sha256 },
        run: teacherSources(o.teacher, o.teacherG),
      });
      writeFileAtomic(o.out, encodeCheckpoint(ckpt));
    };
    let first = NaN, last = NaN, val = NaN, tokens = 0;
    const t0 = performance.now();
    while (trainer.step < target) {
      const r = await trainer.trainStep();
      if (r.nonFinite) throw new Error(`distillation diverged at step ${r.step} (loss ${r.loss}); the update was skipped and ${existsSync(o.out) ? `${o.out} keeps its last save` : 'nothing was saved'}; try a lower --lr`);
      if (Number.isNaN(first)) first = r.loss;
      last = r.loss;
      tokens += train.batch * f.config.length;
      if (train.evalEvery > 0 && trainer.step % train.evalEvery === 0) val = await trainer.validate();
      if (o.saveEvery && trainer.step % o.saveEvery === 0) await save();
      progress.update(trainer.step - start, `loss ${r.loss.toFixed(4)}${Number.isNaN(val) ? '' : ` val error ${val.toFixed(4)}`} ${(tokens / ((performance.now() - t0) / 1000)).toFixed(0)} tok/s`);
    }
    if (trainer.step % Math.max(1, train.evalEvery) !== 0 || train.evalEvery <= 0) val = await trainer.validate();
    progress.finish();
    await save();
    log(`saved ${o.out} at step ${trainer.step}`);
    const seconds = (performance.now() - t0) / 1000;
    return {
      stage: o.stage, steps: trainer.step, first_loss: first, last_loss: last, val_error: val,
      tokens_per_s: tokens / seconds, params: trainer.parameterCount,
      backend: o.backend, out: o.out,
    };
  } finally {
    backend.destroy();
  }
}
