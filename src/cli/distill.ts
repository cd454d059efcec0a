/**
 * `flm distill`: flow-map distillation headless, on the same engine as the studio.
 *   npm run flm -- distill --stage 1 --teacher <flm.safetensors> --steps N --out <g.safetensors>
 *   npm run flm -- distill --stage 2 --teacher <flm.safetensors> --teacher-g <g.safetensors> --steps N --out <fmlm.safetensors>
 *                          [--resume <file>] [--corpus <brown|file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n] [--batch B] [--lr x]
 *                          [--warmup n] [--eval-every n] [--save-every n]
 * The tokenizer is the teacher's; the corpus is --corpus, or the bundled corpus
 * the teacher records (a file a checkpoint names is never opened).
 * Progress on stderr; the last stdout line is one JSON object
 * {"stage","steps","first_loss","last_loss","val_error","tokens_per_s",…}.
 */
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSameCorpus, corpusDigest } from '../data/corpus.ts';
import { tokenizerFromJSON } from '../data/tokenizer.ts';
import { distillTrainConfig } from '../distill/trainer.ts';
import { studentConfig, type Stage } from '../distill/init.ts';
import type { ModelRef, RunMeta } from '../io/meta.ts';
import { prepareRun } from '../run/trainer.ts';
import { createBackend } from './backend.ts';
import { checkKind, checkTokenizer, checkWork, weightBytes } from './checks.ts';
import { RefusedError } from './files.ts';
import { loadCorpusText, readCheckpoint, recordedCorpus, runHeadless, startTrainingCommand, withOverrides, type RunOptions } from './train.ts';

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

export async function distillCommand(o: DistillOptions, log: (s: string) => void): Promise<DistillSummary> {
  startTrainingCommand(o.out, [[o.teacher, 'the teacher'], [o.teacherG, 'the stage-1 teacher']]);
  const f = readCheckpoint(o.teacher, 'teacher');
  checkKind(f, o.teacher, 'flm', 'distill --teacher');
  const g = o.teacherG ? readCheckpoint(o.teacherG, 'stage-1 teacher') : undefined;
  if (g) checkKind(g, o.teacherG!, 'flowmap', 'distill --teacher-g', 'a stage-1 flow map');
  if (o.stage === 2 && !g) throw new RefusedError('stage 2 needs --teacher-g <stage-1 checkpoint>');
  const resume = o.resume ? readCheckpoint(o.resume, 'resume') : undefined;
  if (resume) checkKind(resume, o.resume!, o.stage === 1 ? 'flowmap' : 'fmlm', `distill --stage ${o.stage} --resume`);
  if (!f.meta.tokenizer) throw new RefusedError(`the teacher ${o.teacher} has no tokenizer, so its corpus cannot be encoded`);
  const tokenizer = tokenizerFromJSON(f.meta.tokenizer);
  checkTokenizer(tokenizer, f.config, o.teacher);
  for (const [c, path] of [[g, o.teacherG], [resume, o.resume]] as const) {
    if (c && c.config.vocab !== f.config.vocab) {
      throw new RefusedError(`${path}: its vocabulary (${c.config.vocab}) is not the teacher's (${f.config.vocab}): it was made with another tokenizer`);
    }
  }
  const train = withOverrides(resume?.meta.train ?? distillTrainConfig(f, o.steps), o, !!resume);
  // The student trains; the teachers' weights are held besides.
  checkWork(studentConfig(o.stage, f.config), train, resume ? `the training settings of ${o.resume}` : `distilling ${o.teacher}`, !!resume,
    weightBytes(f.config) + (g ? weightBytes(g.config) : 0));
  const corpusSpec = o.corpus ?? recordedCorpus(f.meta.data?.corpus, `the teacher ${o.teacher}`);
  const corpus = loadCorpusText(corpusSpec);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus(resume.meta.data?.sha256, sha256, `"${corpusSpec}"`);
  const backend = await createBackend(o.backend, { threads: o.threads }, log);
  try {
    const p = prepareRun(backend, { text: corpus.text, tokenizer, spec: { kind: 'distill', stage: o.stage, teachers: { f, g }, train }, resume });
    const trainer = p.trainer;
    log(`stage ${o.stage}: teacher ${o.teacher} (step ${f.meta.step})${g ? `, g ${o.teacherG} (step ${g.meta.step})` : ''}; corpus ${corpus.id}, vocab ${tokenizer.vocabSize}`);
    log(`student: ${trainer.config.twoTime ? 'two-time' : ''} DiT, batch ${train.batch} × L ${f.config.length}, lr ${train.lr}; backend ${backend.description}`);
    if (resume) log(`resuming from ${o.resume} at step ${trainer.step}`);
    const r = await runHeadless(p, {
      steps: o.steps, out: o.out, saveEvery: o.saveEvery, tokenizer, valLabel: 'val error',
      meta: () => ({
        name: `${o.stage === 1 ? 'flow map (stage 1)' : 'FMLM (stage 2)'} of ${f.meta.name}`, createdAt: new Date().toISOString(),
        tokenizer: f.meta.tokenizer,
        data: { corpus: f.meta.data?.corpus ?? { kind: 'text', name: corpus.id }, sha256 },
        run: teacherSources(o.teacher, o.teacherG),
      }),
      diverged: (d, kept) => `distillation diverged at step ${d.at} (loss ${d.loss}); the update was skipped and ${kept}; try a lower --lr`,
    });
    log(`saved ${o.out} at step ${trainer.step}`);
    return {
      stage: o.stage, steps: trainer.step, first_loss: r.first, last_loss: r.last, val_error: r.val,
      tokens_per_s: r.tokens / r.seconds, params: trainer.parameterCount,
      backend: backend.name, out: o.out,
    };
  } finally {
    backend.destroy();
  }
}
