/**
 * `flm train`: the headless trainer, on the same engine as the studio.
 *   npm run flm -- train --corpus <brown|file> --preset <micro|small> --steps N --out <file.safetensors>
 *                        [--resume <file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n] [--batch B] [--lr x] [--warmup n] [--dropout p]
 * Prints progress on stderr and, as its last stdout line, one JSON object
 * {"steps", "first_loss", "last_loss", "val_ce", "tokens_per_s", ...}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpeTokenizer } from '../data/bpeTokenizer.ts';
import { CharTokenizer } from '../data/charTokenizer.ts';
import { BUNDLED_BPE, isBundledBpe, parseTokenizerJSON, tokenizerFromJSON, type TextTokenizer, type TokenizerKind } from '../data/tokenizer.ts';
import { checkSameCorpus, corpusDigest, decodeCorpusBytes, DEFAULT_MAX_CORPUS_BYTES } from '../data/corpus.ts';
import { CheckpointError, encodeCheckpoint, type Checkpoint } from '../io/checkpoint.ts';
import type { CorpusRef, TrainConfig } from '../io/meta.ts';
import { Run, type CheckpointSink, type RunOutcome } from '../run/loop.ts';
import { prepareRun, type PreparedRun, type SnapshotMeta } from '../run/trainer.ts';
import { presetConfig, presetTrain, type PresetName } from '../train/presets.ts';
import { createBackend, type BackendChoice } from './backend.ts';
import { checkKind, checkTokenizer, checkWork } from './checks.ts';
import { claimOutput, readRegular, RefusedError, sameFile, writeFileAtomic } from './files.ts';
import { catchInterrupts, InterruptedError, interruptSignal, pauseOnInterrupt } from './interrupt.ts';
import { loadModelFile } from './modelFile.ts';
import { ProgressLine } from './progress.ts';

export { writeFileAtomic } from './files.ts';

/** What every headless training run takes (train, train-judge, distill). */
export interface RunOptions {
  steps: number;
  out: string;
  resume?: string;
  seed?: number;
  backend: BackendChoice;
  /** The WebAssembly backend's threads (default: one per core). */
  threads?: number;
  batch?: number;
  lr?: number;
  warmup?: number;
  evalEvery?: number;
  saveEvery?: number;
}

export interface TrainOptions extends RunOptions {
  corpus: string;
  preset: PresetName;
  /**
   * Character-level (built from the corpus), a bundled byte-level BPE
   * (`bpe`: 512 tokens; `bpe-4096`: the whole corpus's, for the base
   * models), or a byte-level BPE tokenizer.json file.
   */
  tokenizer?: TokenizerKind | `${string}.json`;
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
const CORPUS_DIR = join(ROOT, 'public', 'corpus');

/** A bundled corpus id: letters, digits, '-' and '_' only (never a path). */
const BUNDLED_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The file of bundled corpus `id` (public/corpus/<id>.txt), or null when `id` is none. */
function bundledCorpusFile(id: string): string | null {
  if (!BUNDLED_ID.test(id)) return null;
  const path = join(CORPUS_DIR, `${id}.txt`);
  return existsSync(path) ? path : null;
}

/** A text corpus, read with bounds: `id` names it (a bundled id, or the file's absolute path). */
export interface LoadedCorpus { id: string; text: string; bundled: boolean }

/**
 * A corpus given on the command line: a bundled corpus id (public/corpus/<id>.txt)
 * or a path to a UTF-8 text file. The file must be a regular file of at most
 * 64 MiB (checked before it is read; a device or a FIFO is refused at once).
 */
export function loadCorpusText(spec: string): LoadedCorpus {
  const bundled = bundledCorpusFile(spec);
  const path = bundled ?? resolve(spec);
  if (!bundled && !existsSync(path)) throw new RefusedError(`no bundled corpus or file named "${spec}"`);
  const bytes = readRegular(path, 'corpus', DEFAULT_MAX_CORPUS_BYTES);
  return { id: bundled ? spec : path, text: decodeCorpusBytes(bytes), bundled: !!bundled };
}

/**
 * The corpus a checkpoint records, as a source to read: only a bundled
 * corpus id is followed. A file is never opened because a checkpoint names it
 * (its metadata may come from anyone): data sources come from the command line.
 */
export function recordedCorpus(ref: CorpusRef | undefined, whose: string): string {
  if (!ref) throw new RefusedError(`${whose} does not record its corpus: give --corpus <brown|file>`);
  if (ref.kind === 'text') {
    throw new RefusedError(`${whose} was trained on its own text ("${ref.name}"): give --corpus <file> (a file named in a checkpoint is never opened)`);
  }
  if (!bundledCorpusFile(ref.id)) throw new RefusedError(`${whose} names the corpus "${ref.id}", which is not a bundled corpus: give --corpus <brown|file>`);
  return ref.id;
}

/** A bundled byte-level BPE tokenizer (public/corpus/<name>.json, BUNDLED_BPE). */
export function bundledBpe(kind: keyof typeof BUNDLED_BPE = 'bpe'): BpeTokenizer {
  const name = BUNDLED_BPE[kind];
  return BpeTokenizer.fromTokenizerJson(JSON.parse(readFileSync(join(ROOT, 'public', 'corpus', `${name}.json`), 'utf8')), name);
}

/** Largest tokenizer.json that `--tokenizer <file>` reads. */
const MAX_TOKENIZER_BYTES = 64 << 20;

/** A byte-level BPE tokenizer.json file given with --tokenizer, read bounded and checked. */
export function bpeFile(path: string): BpeTokenizer {
  const text = new TextDecoder().decode(readRegular(path, 'tokenizer', MAX_TOKENIZER_BYTES));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RefusedError(`${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    const parsed = parseTokenizerJSON({ type: 'bpe', name: basename(path, '.json'), tokenizer: json });
    if (parsed.type !== 'bpe') throw new Error('it is not a BPE model');
    return BpeTokenizer.fromJSON(parsed);
  } catch (e) {
    throw new RefusedError(`${path} is not a byte-level BPE tokenizer.json: ${(e as Error).message}`);
  }
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

/**
 * A model file (`--resume`, `--teacher`…), opened with bounds and decoded
 * (ModelFileError: exit 2); `what` names it when it is missing.
 */
export function readCheckpoint(path: string, what: string): Checkpoint {
  if (!existsSync(path)) throw new RefusedError(`no ${what} file ${path}`);
  return loadModelFile(path).checkpoint;
}

/** How a checkpoint names the corpus `spec` (a bundled id, or a file recorded by its path, as a name only). */
export function corpusRef(corpus: { id: string; bundled?: boolean }, spec: string): CorpusRef {
  const bundled = corpus.bundled ?? (corpus.id === spec && !corpus.id.includes('/'));
  return bundled ? { kind: 'bundled', id: corpus.id } : { kind: 'text', name: corpus.id };
}

/** A run's snapshots in one file; says what the file holds after a refused save. */
export interface FileSink extends CheckpointSink {
  /** The message of the last snapshot refused for a non-finite value, if any. */
  readonly refused: string | null;
  /** What the file holds now, in words ("X keeps its save of step 4"). */
  kept(): string;
}

/**
 * A run's snapshots written to one file (`--out`), atomically, each replacing
 * the last. A snapshot holding a non-finite value is refused by the format
 * (nothing is written, the file keeps its previous save) and stops the run.
 */
export function fileSink(path: string): FileSink {
  let savedStep: number | null = null, refused: string | null = null;
  const existed = existsSync(path);
  return {
    get refused() {
      return refused;
    },
    kept() {
      return savedStep !== null ? `${path} keeps its save of step ${savedStep}` : existed ? `${path} is left as it was` : `nothing was written to ${path}`;
    },
    async save(ckpt) {
      let bytes: Uint8Array;
      try {
        bytes = encodeCheckpoint(ckpt);
      } catch (e) {
        if (e instanceof CheckpointError && e.code === 'non-finite') refused = e.message;
        throw e;
      }
      writeFileAtomic(path, bytes);
      savedStep = ckpt.meta.step;
      const at = ckpt.meta.createdAt;
      return { id: path, name: ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step, bytes: bytes.length, createdAt: at, updatedAt: at, rev: 0 };
    },
    async load() {
      return existsSync(path) ? loadModelFile(path).checkpoint : null;
    },
  };
}

/**
 * The start of every training command, before anything is read: `out` is
 * claimed (a writable regular file, locked against a second writer, leftovers
 * of dead runs removed) and SIGINT/SIGTERM are caught (the run saves and stops).
 * `inputs` are the model files the run reads, which `out` must not be.
 */
export function startTrainingCommand(out: string, inputs: [string | undefined, string][]): void {
  for (const [path, role] of inputs) {
    if (path !== undefined && sameFile(path, out)) {
      throw new RefusedError(`--out ${out} is ${role} (${path}): the run would overwrite it; write to another file`);
    }
  }
  claimOutput(out);
  catchInterrupts();
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
  const sink = fileSink(o.out);
  const run = new Run(t, {
    runId: o.out, name: o.out, checkpointId: o.out, target: start + o.steps, saveEvery: o.saveEvery ?? 0, sampleEvery: 0,
    validateAtEnd: true, meta: o.meta, sink, tokenizer: o.tokenizer, unigramEntropy: p.unigramEntropy,
    // A turn of the event loop after each step, so that SIGINT/SIGTERM are seen (the CPU backend never yields otherwise).
    yieldEachStep: () => new Promise<void>((resolve) => setImmediate(resolve)),
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
  });
  pauseOnInterrupt(run);
  let outcome: RunOutcome;
  try {
    outcome = await run.start();
  } finally {
    pauseOnInterrupt(null);
  }
  r.seconds = (performance.now() - t0) / 1000;
  if (outcome.type === 'rolled-back') {
    // A finite loss with non-finite weights (an update that overflowed): the save was refused.
    if (outcome.cause === 'weights') {
      throw new Error(`${sink.refused ?? 'Not saved: the weights are not finite.'} The loss of step ${outcome.at} (${outcome.loss}) was finite but its update was not: ${sink.kept()}. Lower the learning rate (--lr).`);
    }
    throw new Error(o.diverged(outcome, sink.kept()));
  }
  if (outcome.type === 'failed') throw outcome.error;
  progress.finish();
  const signal = interruptSignal();
  if (outcome.type === 'paused' && signal) throw new InterruptedError(signal, `interrupted by ${signal} at step ${outcome.step}; saved ${o.out}`);
  return r;
}

export async function trainCommand(o: TrainOptions, log: (s: string) => void): Promise<TrainSummary> {
  startTrainingCommand(o.out, []);
  const resume = o.resume ? readCheckpoint(o.resume, 'resume') : undefined;
  if (resume) {
    checkKind(resume, o.resume!, 'flm', 'flm train --resume');
    // Before anything else is read: the work the checkpoint asks for.
    checkWork(resume.config, withOverrides(resume.meta.train ?? presetTrain(o.preset), o, true), `the training settings of ${o.resume}`, true);
  }
  const corpus = loadCorpusText(o.corpus);
  const tokenizer: TextTokenizer = resume?.meta.tokenizer
    ? tokenizerFromJSON(resume.meta.tokenizer)
    : o.tokenizer && isBundledBpe(o.tokenizer) ? bundledBpe(o.tokenizer)
    : o.tokenizer && o.tokenizer !== 'char' ? bpeFile(o.tokenizer)
    : CharTokenizer.fromText(corpus.text);
  if (resume) checkTokenizer(tokenizer, resume.config, o.resume!);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus(resume.meta.data?.sha256, sha256, `"${o.corpus}"`);
  const config = resume?.config ?? presetConfig(o.preset, tokenizer.vocabSize);
  const train = withOverrides(resume?.meta.train ?? presetTrain(o.preset), o, !!resume);
  if (!resume) checkWork(config, train, `a new ${o.preset} run`, false);
  const backend = await createBackend(o.backend, { threads: o.threads }, log);
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
      tokens_per_s: r.tokens / r.seconds, unigram_entropy: H, params: p.trainer.parameterCount, backend: backend.name, out: o.out,
    };
  } finally {
    backend.destroy();
  }
}
