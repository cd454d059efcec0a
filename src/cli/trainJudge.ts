/**
 * `flm train-judge`: trains the autoregressive judge (src/ar/) headless.
 *   npm run flm -- train-judge --corpus <brown|file> --preset <micro|small> --steps N --out <file.safetensors>
 *                              [--like <flm.safetensors>] [--resume <file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n]
 *                              [--batch B] [--lr x] [--warmup n] [--eval-every n] [--save-every n] [--eval-batches n]
 * The tokenizer is the one of `--like` (the FLM the judge will score) or, without it, the
 * character tokenizer built from the corpus (the same construction as `flm train`).
 * Prints progress on stderr and, as its last stdout line, one JSON object
 * {"steps","first_loss","last_loss","val_ce","val_ppl","val_ce_ema","val_ppl_ema",…}.
 */
import { CharTokenizer } from '../data/charTokenizer.ts';
import { tokenizerFromJSON, type TextTokenizer } from '../data/tokenizer.ts';
import { checkSameCorpus, corpusDigest } from '../data/corpus.ts';
import { evalBatches } from '../data/batcher.ts';
import type { TrainConfig } from '../io/meta.ts';
import { presetConfig, presetTrain, type PresetName } from '../train/presets.ts';
import { judgeConfig } from '../ar/trainer.ts';
import { Judge } from '../ar/judge.ts';
import { prepareRun } from '../run/trainer.ts';
import { createBackend } from './backend.ts';
import { checkKind, checkTokenizer, checkWork } from './checks.ts';
import { corpusRef, loadCorpusText, readCheckpoint, runHeadless, startTrainingCommand, withOverrides, type RunOptions } from './train.ts';

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
  startTrainingCommand(o.out, [[o.like, 'the --like model']]);
  const resume = o.resume ? readCheckpoint(o.resume, 'resume') : undefined;
  if (resume) {
    checkKind(resume, o.resume!, 'judge', 'flm train-judge --resume');
    checkWork(resume.config, withOverrides(resume.meta.train ?? presetTrain(o.preset), o, true), `the training settings of ${o.resume}`, true);
  }
  const like = o.like ? readCheckpoint(o.like, '--like') : undefined;
  const corpus = loadCorpusText(o.corpus);
  const tokJson = resume?.meta.tokenizer ?? like?.meta.tokenizer;
  const tokenizer: TextTokenizer = tokJson ? tokenizerFromJSON(tokJson) : CharTokenizer.fromText(corpus.text);
  if (resume) checkTokenizer(tokenizer, resume.config, o.resume!);
  else if (like) checkTokenizer(tokenizer, like.config, o.like!);
  const sha256 = await corpusDigest(corpus.text);
  if (resume) checkSameCorpus(resume.meta.data?.sha256, sha256, `"${o.corpus}"`);
  if (like && !resume) checkSameCorpus(like.meta.data?.sha256, sha256, `"${o.corpus}"`);
  const config = resume?.config ?? judgeConfig(like ? like.config : presetConfig(o.preset, tokenizer.vocabSize));
  const train: TrainConfig = {
    ...withOverrides(resume?.meta.train ?? presetTrain(o.preset), o, !!resume),
    ...(o.evalBatches !== undefined ? { evalBatches: o.evalBatches } : {}),
  };
  if (!resume) checkWork(config, train, `a new ${o.preset} judge`, false);
  const backend = await createBackend(o.backend, { threads: o.threads }, log);
  try {
    const p = prepareRun(backend, { text: corpus.text, tokenizer, spec: { kind: 'judge', config, train }, resume });
    const trainer = p.trainer;
    log(`corpus ${corpus.id}: ${corpus.text.length.toLocaleString()} chars, vocab ${tokenizer.vocabSize}${like ? ` (tokenizer of ${o.like})` : ''}`);
    log(`judge (causal DiT, t = 0): ${trainer.parameterCount.toLocaleString()} parameters, batch ${train.batch} × L ${config.length}; backend ${backend.description}`);
    if (resume) log(`resuming from ${o.resume} at step ${trainer.step}`);
    const r = await runHeadless(p, {
      steps: o.steps, out: o.out, saveEvery: o.saveEvery, tokenizer, valLabel: 'val',
      meta: () => ({
        name: `AR judge, ${o.preset} on ${corpus.id}`, createdAt: new Date().toISOString(),
        tokenizer: tokenizer.toJSON(), data: { corpus: corpusRef(corpus, o.corpus), sha256 },
        run: { ...(resume?.meta.run ?? {}), ...(o.like ? { likeModel: o.like } : {}) },
      }),
      onValidation: (step, loss, val) => {
        if (train.evalEvery > 0) log(`\nstep ${step}: loss ${loss.toFixed(4)} val CE ${val.toFixed(4)} val ppl ${Math.exp(val).toFixed(3)}`);
      },
      diverged: (d, kept) => `training diverged at step ${d.at} (loss ${d.loss}); ${kept}`,
    });
    const valCe = r.val;
    const saved = readCheckpoint(o.out, 'output');
    const judge = new Judge(backend, saved, train.batch);
    const ema = await emaValidation(judge, p.data.val, train.batch, train.evalBatches);
    judge.release();
    log(`saved ${o.out} at step ${trainer.step}: val CE ${valCe.toFixed(4)} (ppl ${Math.exp(valCe).toFixed(3)}), EMA weights ${ema.ce.toFixed(4)} (ppl ${Math.exp(ema.ce).toFixed(3)}) on ${ema.tokens} validation tokens`);
    const summary: TrainJudgeSummary = {
      steps: trainer.step, first_loss: r.first, last_loss: r.last, val_ce: valCe, val_ppl: Math.exp(valCe),
      val_ce_ema: ema.ce, val_ppl_ema: Math.exp(ema.ce), val_tokens: ema.tokens,
      tokens_per_s: r.tokens / r.seconds, seconds: r.seconds, params: trainer.parameterCount, backend: backend.name, out: o.out,
    };
    trainer.release();
    return summary;
  } finally {
    backend.destroy();
  }
}
