/**
 * `flm train-judge`: trains the autoregressive judge (src/ar/) headless.
 *   npm run flm -- train-judge --corpus <brown|file> --preset <micro|small> --steps N --out <file.safetensors>
 *                              [--like <flm.safetensors>] [--resume <file>] [--seed S] [--backend cpu|webgpu]
 *                              [--batch B] [--lr x] [--warmup n] [--eval-every n] [--save-every n] [--eval-batches n]
 * The tokenizer is the one of `--like` (the FLM the judge will score) or, without it, the
 * character tokenizer built from the corpus (the same construction as `flm train`).
 * Prints progress on stderr and, as its last stdout line, one JSON object
 * {"steps","first_loss","last_loss","val_ce","val_ppl","val_ce_ema","val_ppl_ema",…}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CharTokenizer } from '../data/charTokenizer.ts';
import { tokenizerFromJSON, type TextTokenizer, type TokenizerJSON } from '../data/tokenizer.ts';
import { checkSameCorpus, corpusDigest, splitTrainVal } from '../data/corpus.ts';
import { evalBatches } from '../data/batcher.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.ts';
import { presetConfig, presetTrain, type PresetName } from '../train/presets.ts';
import type { TrainConfig } from '../train/schedule.ts';
import { ArTrainer, judgeConfig } from '../ar/trainer.ts';
import { Judge } from '../ar/judge.ts';
import { createBackend } from './backend.ts';
import { ProgressLine } from './progress.ts';
import { loadCorpusText, withOverrides, writeFileAtomic, type RunOptions } from './train.ts';

export interface TrainJudgeOptions extends RunOptions {
  corpus: string;
  preset: PresetName;
  like?: string;
  evalBatches?: number;
}

export interface TrainJudgeSummary {
  steps: number;
  first_loss: number;
  last_loss: number;
  /** Validation next-token CE (nats/token) of the trained weights, and its exp. */
  val_ce: number;
  val_ppl: number;
  /** The same for the EMA weights (what `flm eval` uses). */
  val_ce_ema: number;
  val_ppl_ema: number;
  val_tokens: number;
  tokens_per_s: number;
  seconds: number;
  params: number;
  backend: string;
  out: string;
}

/** Mean NLL of the EMA weights over the validation windows the trainer uses. */
async function emaValidation(judge: Judge, val: Uint32Array, batch: number, maxBatches: number): Promise<{ ce: number; tokens: number }> {
  const batches = evalBatches(val, judge.length, batch, maxBatches);
  const all = new Uint32Array(batches.length * batch * judge.length);
  batches.forEach((b, i) => all.set(b, i * b.length));
  const nll = await judge.nll(all, batches.length * batch);
  let s = 0;
  for (const x of nll) s += x;
  return { ce: s / nll.length, tokens: all.length };
}

export async function trainJudgeCommand(o: TrainJudgeOptions, log: (s: string) => void): Promise<TrainJudgeSummary> {
  const resume = o.resume ? decodeCheckpoint(new Uint8Array(readFileSync(o.resume))) : undefined;
  if (resume && resume.meta.kind !== 'judge') throw new Error(`${o.resume} is a ${resume.meta.kind} checkpoint, not a judge`);
  const like = o.like ? decodeCheckpoint(new Uint8Array(readFileSync(o.like))) : undefined;
  const corpus = loadCorpusText(o.corpus);
  const tokJson = (resume?.meta.tokenizer ?? like?.meta.tokenizer);
  const tokenizer: TextTokenizer = tokJson ? tokenizerFromJSON(tokJson) : CharTokenizer.fromText(corpus.text);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus((resume.meta.data as { sha256?: unknown } | undefined)?.sha256, sha256, `"${o.corpus}"`);
  if (like && !resume) checkSameCorpus((like.meta.data as { sha256?: unknown } | undefined)?.sha256, sha256, `"${o.corpus}"`);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  const config = resume?.config ?? judgeConfig(like ? like.config : presetConfig(o.preset, tokenizer.vocabSize));
  if (config.vocab !== tokenizer.vocabSize) throw new Error(`the model's vocabulary (${config.vocab}) is not the tokenizer's (${tokenizer.vocabSize})`);
  const base = (resume?.meta.train as TrainConfig | undefined) ?? presetTrain(o.preset);
  const train: TrainConfig = { ...withOverrides(base, o, !!resume), ...(o.evalBatches !== undefined ? { evalBatches: o.evalBatches } : {}) };
  const backend = await createBackend(o.backend);
  const trainer = new ArTrainer(backend, config, train, data, resume);
  log(`corpus ${corpus.id}: ${corpus.text.length.toLocaleString()} chars, vocab ${tokenizer.vocabSize}${like ? ` (tokenizer of ${o.like})` : ''}`);
  log(`judge (causal DiT, t = 0): ${trainer.parameterCount.toLocaleString()} parameters, batch ${train.batch} × L ${config.length}; backend ${backend.description}`);
  if (resume) log(`resuming from ${o.resume} at step ${trainer.step}`);
  const start = trainer.step, target = start + o.steps;
  const progress = new ProgressLine(o.steps, (s) => process.stderr.write(s));
  const save = async () => {
    const ckpt = await trainer.snapshot({
      name: `AR judge, ${o.preset} on ${corpus.id}`, createdAt: new Date().toISOString(),
      tokenizer: tokenizer.toJSON(),
      data: { corpus: corpus.id === o.corpus && !corpus.id.includes('/') ? { kind: 'bundled', id: corpus.id } : { kind: 'text', name: corpus.id }, sha256 },
      run: { ...(resume?.meta.run ?? {}), ...(o.like ? { likeModel: o.like } : {}) },
    });
    writeFileAtomic(o.out, encodeCheckpoint(ckpt));
  };
  let first = NaN, last = NaN, valCe = NaN, tokens = 0;
  const t0 = performance.now();
  while (trainer.step < target) {
    const r = await trainer.trainStep();
    if (r.nonFinite) throw new Error(`training diverged at step ${r.step} (loss ${r.loss}); ${existsSync(o.out) ? `${o.out} keeps its last save` : 'nothing was saved'}`);
    if (Number.isNaN(first)) first = r.loss;
    last = r.loss;
    tokens += train.batch * config.length;
    if (train.evalEvery > 0 && (trainer.step % train.evalEvery === 0 || trainer.step === target)) {
      valCe = await trainer.validate();
      log(`\nstep ${trainer.step}: loss ${r.loss.toFixed(4)} val CE ${valCe.toFixed(4)} val ppl ${Math.exp(valCe).toFixed(3)}`);
    }
    if (o.saveEvery && trainer.step % o.saveEvery === 0) await save();
    progress.update(trainer.step - start, `loss ${r.loss.toFixed(4)}${Number.isNaN(valCe) ? '' : ` val ${valCe.toFixed(4)}`} ${(tokens / ((performance.now() - t0) / 1000)).toFixed(0)} tok/s`);
  }
  if (Number.isNaN(valCe) || train.evalEvery <= 0) valCe = await trainer.validate();
  progress.finish();
  await save();
  const seconds = (performance.now() - t0) / 1000;
  const saved = decodeCheckpoint(new Uint8Array(readFileSync(o.out)));
  const judge = new Judge(backend, saved, train.batch);
  const ema = await emaValidation(judge, data.val, train.batch, train.evalBatches);
  judge.release();
  log(`saved ${o.out} at step ${trainer.step}: val CE ${valCe.toFixed(4)} (ppl ${Math.exp(valCe).toFixed(3)}), EMA weights ${ema.ce.toFixed(4)} (ppl ${Math.exp(ema.ce).toFixed(3)}) on ${ema.tokens} validation tokens`);
  const summary: TrainJudgeSummary = {
    steps: trainer.step, first_loss: first, last_loss: last, val_ce: valCe, val_ppl: Math.exp(valCe),
    val_ce_ema: ema.ce, val_ppl_ema: Math.exp(ema.ce), val_tokens: ema.tokens,
    tokens_per_s: tokens / seconds, seconds, params: trainer.parameterCount, backend: o.backend, out: o.out,
  };
  trainer.release();
  backend.destroy();
  return summary;
}
