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
import { tokenizerFromJSON, type TextTokenizer, type TokenizerJSON, type TokenizerKind } from '../data/tokenizer.ts';
import { checkSameCorpus, corpusDigest, decodeCorpusBytes, splitTrainVal } from '../data/corpus.ts';
import { unigramEntropy } from '../data/unigram.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.ts';
import { presetConfig, presetTrain, type PresetName } from '../train/presets.ts';
import { FlmTrainer } from '../train/trainer.ts';
import type { TrainConfig } from '../train/schedule.ts';
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

export async function trainCommand(o: TrainOptions, log: (s: string) => void): Promise<TrainSummary> {
  const resume = o.resume ? decodeCheckpoint(new Uint8Array(readFileSync(o.resume))) : undefined;
  const corpus = loadCorpusText(o.corpus);
  const tokenizer: TextTokenizer = resume?.meta.tokenizer
    ? tokenizerFromJSON(resume.meta.tokenizer)
    : o.tokenizer === 'bpe' ? bundledBpe() : CharTokenizer.fromText(corpus.text);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus((resume.meta.data as { sha256?: unknown } | undefined)?.sha256, sha256, `"${o.corpus}"`);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  const config = resume?.config ?? presetConfig(o.preset, tokenizer.vocabSize);
  const base = (resume?.meta.train as TrainConfig | undefined) ?? presetTrain(o.preset);
  const train = withOverrides(base, o, !!resume);
  const backend = await createBackend(o.backend);
  const trainer = new FlmTrainer(backend, config, train, data, resume);
  const H = unigramEntropy(data.val, tokenizer.vocabSize);
  log(`corpus ${corpus.id}: ${corpus.text.length.toLocaleString()} chars, vocab ${tokenizer.vocabSize}, unigram entropy ${H.toFixed(3)} nats`);
  log(`model ${o.preset}: ${trainer.model.layout.count.toLocaleString()} parameters, batch ${train.batch} × L ${config.length}; backend ${backend.description}`);
  if (resume) log(`resuming from ${o.resume} at step ${trainer.step}`);
  const start = trainer.step, target = start + o.steps;
  const progress = new ProgressLine(o.steps, (s) => process.stderr.write(s));
  const save = async () => {
    const ckpt = await trainer.snapshot({
      kind: 'flm', name: `${o.preset} on ${corpus.id}`, createdAt: new Date().toISOString(),
      tokenizer: tokenizer.toJSON(),
      data: { corpus: corpus.id === o.corpus && !corpus.id.includes('/') ? { kind: 'bundled', id: corpus.id } : { kind: 'text', name: corpus.id }, sha256 },
    });
    writeFileAtomic(o.out, encodeCheckpoint(ckpt));
  };
  let first = NaN, last = NaN, valCe = NaN, tokens = 0;
  const t0 = performance.now();
  while (trainer.step < target) {
    const r = await trainer.trainStep();
    if (r.nonFinite) throw new Error(`training diverged at step ${r.step} (loss ${r.loss}, grad norm ${r.gradNorm}); the update was skipped and ${existsSync(o.out) ? `${o.out} keeps its last save` : 'nothing was saved'}`);
    if (Number.isNaN(first)) first = r.loss;
    last = r.loss;
    tokens += train.batch * config.length;
    const done = trainer.step - start;
    if (train.evalEvery > 0 && (trainer.step % train.evalEvery === 0 || trainer.step === target)) valCe = await trainer.validate();
    if (o.saveEvery && trainer.step % o.saveEvery === 0) await save();
    progress.update(done, `loss ${r.loss.toFixed(4)}${Number.isNaN(valCe) ? '' : ` val ${valCe.toFixed(4)}`} ${(tokens / ((performance.now() - t0) / 1000)).toFixed(0)} tok/s`);
  }
  if (Number.isNaN(valCe) || train.evalEvery <= 0) valCe = await trainer.validate();
  progress.finish();
  await save();
  const seconds = (performance.now() - t0) / 1000;
  log(`saved ${o.out} at step ${trainer.step}`);
  const summary: TrainSummary = {
    steps: trainer.step, first_loss: first, last_loss: last, val_ce: valCe,
    tokens_per_s: tokens / seconds, unigram_entropy: H, params: trainer.model.layout.count, backend: o.backend, out: o.out,
  };
  backend.destroy();
  return summary;
}

