/**
 * `flm train`: the headless trainer, on the same engine as the studio.
 *   npm run flm -- train --corpus <brown|file> --preset <micro|small> --steps N --out <file.safetensors>
 *                        [--resume <file>] [--seed S] [--backend cpu|webgpu] [--batch B] [--lr x] [--warmup n] [--dropout p]
 * Prints progress on stderr and, as its last stdout line, one JSON object
 * {"steps", "first_loss", "last_loss", "val_ce", "tokens_per_s", ...}.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpeTokenizer } from '../data/bpeTokenizer.ts';
import { CharTokenizer } from '../data/charTokenizer.ts';
import { tokenizerFromJSON, type TextTokenizer, type TokenizerKind } from '../data/tokenizer.ts';
import { checkSameCorpus, corpusDigest, decodeCorpusBytes } from '../data/corpus.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../io/checkpoint.ts';
import type { CorpusRef, TrainConfig } from '../io/meta.ts';
import { Run, type CheckpointSink, type RunOutcome } from '../run/loop.ts';
import { prepareRun, type PreparedRun, type SnapshotMeta } from '../run/trainer.ts';
import { presetConfig, presetTrain, type PresetName } from '../train/presets.ts';
import { createBackend, type BackendName } from './backend.ts';
import { ProgressLine } from './progress.ts';

/** What every headless training run takes (train, train-judge, distill). */
export interface RunOptions {
  steps: number;
  out: string;
  resume?: string;
  seed?: number;
  backend: BackendName;
  batch?: number;
  lr?: number;
  warmup?: number;
  evalEvery?: number;
  saveEvery?: number;
}

export interface TrainOptions extends RunOptions {
  corpus: string;
  preset: PresetName;
  /** Character-level (built from the corpus) or the bundled byte-level BPE. */
  tokenizer?: TokenizerKind;
  dropout?: number;
}

export interface TrainSummary {
  steps: number;
  first_loss: number;
  last_loss: number;
  val_ce: number;
  tokens_per_s: number;
  unigram_entropy: number;
  params: number;
  backend: string;
  out: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A bundled corpus id (public/corpus/<id>.txt) or a path to a UTF-8 text file. */
export function loadCorpusText(spec: string): { id: string; text: string } {
  const bundled = join(ROOT, 'public', 'corpus', `${spec}.txt`);
  const path = existsSync(bundled) ? bundled : resolve(spec);
  if (!existsSync(path)) throw new Error(`no bundled corpus or file named "${spec}"`);
  return { id: existsSync(bundled) ? spec : path, text: decodeCorpusBytes(new Uint8Array(readFileSync(path))) };
}

/** The byte-level BPE tokenizer.json bundled with the corpus (public/corpus/brown-bpe.json). */
export function bundledBpe(): BpeTokenizer {
  return BpeTokenizer.fromTokenizerJson(JSON.parse(readFileSync(join(ROOT, 'public', 'corpus', 'brown-bpe.json'), 'utf8')), 'brown-bpe');
}

/**
 * A run's training config with the command line's overrides; seed and batch
 * only for a new run (a resumed run keeps its own, or it would not continue
 * exactly).
 */
export function withOverrides(
  base: TrainConfig,
  o: { steps: number; seed?: number; batch?: number; lr?: number; warmup?: number; dropout?: number; evalEvery?: number },
  resuming: boolean,
): TrainConfig {
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => (v !== undefined ? { [k]: v } : {});
  return {
    ...base, steps: o.steps,
    ...(resuming ? {} : { ...set('seed', o.seed), ...set('batch', o.batch) }),
    ...set('lr', o.lr), ...set('warmup', o.warmup), ...set('dropout', o.dropout), ...set('evalEvery', o.evalEvery),
  };
}

/** Write a file so that a crash leaves either the old or the new one, never half of one. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** A checkpoint file (`--resume`, `--teacher`…), decoded; `what` names it in the error when it is missing. */
export function readCheckpoint(path: string, what: string): Checkpoint {
  if (!existsSync(path)) throw new Error(`no ${what} file ${path}`);
  return decodeCheckpoint(new Uint8Array(readFileSync(path)));
}

/** How a checkpoint names the corpus `spec` (a bundled id, or a file recorded by its path). */
export function corpusRef(corpus: { id: string }, spec: string): CorpusRef {
  return corpus.id === spec && !corpus.id.includes('/') ? { kind: 'bundled', id: corpus.id } : { kind: 'text', name: corpus.id };
}

/** A run's snapshots written to one file (`--out`), atomically, each replacing the last. */
export function fileSink(path: string): CheckpointSink {
  return {
    async save(ckpt) {
      const bytes = encodeCheckpoint(ckpt);
      writeFileAtomic(path, bytes);
      const at = ckpt.meta.createdAt;
      return { id: path, name: ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step, bytes: bytes.length, createdAt: at, updatedAt: at, rev: 0 };
    },
    async load() {
      return existsSync(path) ? decodeCheckpoint(new Uint8Array(readFileSync(path))) : null;
    },
  };
}

/** What a headless run reports: its first and last loss, its last validation figure, tokens trained and seconds. */
export interface HeadlessResult { first: number; last: number; val: number; tokens: number; seconds: number }

export interface HeadlessOptions {
  steps: number;
  out: string;
  saveEvery?: number;
  meta(): SnapshotMeta;
  tokenizer: TextTokenizer;
  /** How the progress line names the validation figure ('val', 'val error'). */
  valLabel: string;
  /** Called after each validation (the judge logs it). */
  onValidation?(step: number, loss: number, val: number): void;
  /** The error message of a run stopped by a non-finite loss; `kept` says what `--out` holds. */
  diverged(r: Extract<RunOutcome, { type: 'rolled-back' }>, kept: string): string;
}

/**
 * `steps` more steps of a prepared run through the run loop, validating at
 * the end, saving every `saveEvery` steps and at the end to `out`, with a
 * progress line on stderr. Throws on a non-finite loss or a failure.
 */
export async function runHeadless(p: PreparedRun, o: HeadlessOptions): Promise<HeadlessResult> {
  const t = p.trainer, start = t.step;
  const progress = new ProgressLine(o.steps, (s) => process.stderr.write(s));
  const r: HeadlessResult = { first: NaN, last: NaN, val: NaN, tokens: 0, seconds: 0 };
  const t0 = performance.now();
  const outcome = await new Run(t, {
    runId: o.out, name: o.out, checkpointId: o.out, target: start + o.steps, saveEvery: o.saveEvery ?? 0, sampleEvery: 0,
    validateAtEnd: true, meta: o.meta, sink: fileSink(o.out), tokenizer: o.tokenizer, unigramEntropy: p.unigramEntropy,
    emit(e) {
      if (e.type !== 'step') return;
      if (Number.isNaN(r.first)) r.first = e.loss;
      r.last = e.loss;
      r.tokens += t.train.batch * t.config.length;
      if (e.valCe !== undefined) {
        r.val = e.valCe;
        o.onValidation?.(e.step, e.loss, e.valCe);
      }
      progress.update(e.step - start, `loss ${e.loss.toFixed(4)}${Number.isNaN(r.val) ? '' : ` ${o.valLabel} ${r.val.toFixed(4)}`} ${e.tokensPerS.toFixed(0)} tok/s`);
    },
  }).start();
  r.seconds = (performance.now() - t0) / 1000;
  if (outcome.type === 'rolled-back') throw new Error(o.diverged(outcome, existsSync(o.out) ? `${o.out} keeps its last save` : 'nothing was saved'));
  if (outcome.type === 'failed') throw outcome.error;
  progress.finish();
  return r;
}

export async function trainCommand(o: TrainOptions, log: (s: string) => void): Promise<TrainSummary> {
  const resume = o.resume ? readCheckpoint(o.resume, 'resume') : undefined;
  const corpus = loadCorpusText(o.corpus);
  const tokenizer: TextTokenizer = resume?.meta.tokenizer
    ? tokenizerFromJSON(resume.meta.tokenizer)
    : o.tokenizer === 'bpe' ? bundledBpe() : CharTokenizer.fromText(corpus.text);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus(resume.meta.data?.sha256, sha256, `"${o.corpus}"`);
  const config = resume?.config ?? presetConfig(o.preset, tokenizer.vocabSize);
  const train = withOverrides(resume?.meta.train ?? presetTrain(o.preset), o, !!resume);
  const backend = await createBackend(o.backend);
  try {
    const p = prepareRun(backend, { text: corpus.text, tokenizer, spec: { kind: 'flm', config, train }, resume });
    const H = p.unigramEntropy;
    log(`corpus ${corpus.id}: ${corpus.text.length.toLocaleString()} chars, vocab ${tokenizer.vocabSize}, unigram entropy ${H.toFixed(3)} nats`);
    log(`model ${o.preset}: ${p.trainer.parameterCount.toLocaleString()} parameters, batch ${train.batch} × L ${config.length}; backend ${backend.description}`);
    if (resume) log(`resuming from ${o.resume} at step ${p.trainer.step}`);
    const r = await runHeadless(p, {
      steps: o.steps, out: o.out, saveEvery: o.saveEvery, tokenizer, valLabel: 'val',
      meta: () => ({ name: `${o.preset} on ${corpus.id}`, createdAt: new Date().toISOString(), tokenizer: tokenizer.toJSON(), data: { corpus: corpusRef(corpus, o.corpus), sha256 } }),
      diverged: (d, kept) => `training diverged at step ${d.at} (loss ${d.loss}, grad norm ${d.gradNorm}); the update was skipped and ${kept}`,
    });
    log(`saved ${o.out} at step ${p.trainer.step}`);
    return {
      steps: p.trainer.step, first_loss: r.first, last_loss: r.last, val_ce: r.val,
      tokens_per_s: r.tokens / r.seconds, unigram_entropy: H, params: p.trainer.parameterCount, backend: o.backend, out: o.out,
    };
  } finally {
    backend.destroy();
  }
}
