/**
 * What the training commands check before any work, so that a file or its
 * metadata cannot make them train the wrong model or attempt impossible
 * work: the kind of each model file, its tokenizer against its vocabulary,
 * the training settings a checkpoint carries, and the memory a run needs
 * against a stated budget. Each failure is a RefusedError (exit 2).
 */
import type { TextTokenizer } from '../data/tokenizer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { ModelKind, TrainConfig } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import { paramLayout } from '../model/layout.ts';
import { trainingMemoryBytes } from '../train/presets.ts';
import { OPTION_LIMITS } from './limits.ts';
import { RefusedError } from './files.ts';

/**
 * The memory a training run may need (its estimate, `trainingMemoryBytes`:
 * weights, gradients, Adam moments, EMA and activations): 16 GiB, more than
 * any preset needs at any batch a laptop GPU holds, far below what a batch of
 * 10⁵ or a crafted file asks for.
 */
export const TRAINING_MEMORY_BUDGET = 16 * 2 ** 30;

const NOUNS: Record<ModelKind, string> = { flm: 'an FLM', flowmap: 'a flow map', fmlm: 'an FMLM', judge: 'a judge' };

/** `c` (read from `path` as `role`) must be a model of kind `want`. */
export function checkKind(c: Checkpoint, path: string, want: ModelKind, role: string, noun = NOUNS[want]): void {
  if (c.meta.kind === want) return;
  throw new RefusedError(`${path} is a ${c.meta.kind} checkpoint, not ${noun}: ${role} needs ${noun}`);
}

/** A model's tokenizer must have exactly as many tokens as its vocabulary (or its files could not be sampled). */
export function checkTokenizer(tokenizer: TextTokenizer, config: DiTConfig, path: string): void {
  if (tokenizer.vocabSize === config.vocab) return;
  throw new RefusedError(
    `${path}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${config.vocab}, so they do not belong together`,
  );
}

/** The training settings of a checkpoint (or of the command line), checked: anything else is impossible or meaningless work. */
export function checkTrainSettings(t: TrainConfig, from: string): void {
  const whole = (k: keyof TrainConfig, min: number, max: number) => {
    const v = t[k];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RefusedError(`${from}: ${k} ${v} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
    }
  };
  const real = (k: keyof TrainConfig, ok: (v: number) => boolean, range: string) => {
    if (!ok(t[k])) throw new RefusedError(`${from}: ${k} ${t[k]} must be ${range}`);
  };
  whole('batch', 1, OPTION_LIMITS.batch);
  whole('warmup', 0, OPTION_LIMITS.warmup);
  whole('seed', 0, Number.MAX_SAFE_INTEGER);
  whole('evalEvery', 0, OPTION_LIMITS.every);
  whole('evalBatches', 1, OPTION_LIMITS.evalBatches);
  real('lr', (v) => v >= 0, 'a number ≥ 0');
  real('beta1', (v) => v >= 0 && v < 1, 'at least 0 and below 1');
  real('beta2', (v) => v >= 0 && v < 1, 'at least 0 and below 1');
  real('eps', (v) => v > 0, 'above 0');
  real('weightDecay', (v) => v >= 0, 'a number ≥ 0');
  real('clip', (v) => v >= 0, 'a number ≥ 0 (0: no clipping)');
  real('emaDecay', (v) => v >= 0 && v <= 1, 'from 0 to 1');
  real('dropout', (v) => v >= 0 && v < 1, 'at least 0 and below 1');
  real('tMin', (v) => v >= 0 && v <= 1, 'from 0 to 1');
  real('tMax', (v) => v >= t.tMin && v <= 1, `from tMin (${t.tMin}) to 1`);
}

const gib = (n: number) => (n / 2 ** 30).toFixed(n < 10 * 2 ** 30 ? 2 : 1);

/**
 * A run of `config` at `batch` (plus `extraBytes` for teachers) must fit the
 * budget: checked before anything is allocated. `resumed`: the batch is the
 * checkpoint's own, which a resume keeps.
 */
export function checkTrainingMemory(config: DiTConfig, batch: number, what: string, o: { extraBytes?: number; resumed?: boolean } = {}): void {
  const need = trainingMemoryBytes(config, batch) + (o.extraBytes ?? 0);
  if (need <= TRAINING_MEMORY_BUDGET) return;
  const fix = o.resumed ? 'a resumed run keeps its batch: start a new run with a smaller --batch' : 'use a smaller --batch';
  throw new RefusedError(
    `${what}: batch ${batch} × L ${config.length} needs an estimated ${gib(need)} GiB to train, more than the ${TRAINING_MEMORY_BUDGET / 2 ** 30} GiB budget; ${fix}`,
  );
}

/** Bytes of a model's weights (a teacher held during distillation). */
export function weightBytes(config: DiTConfig): number {
  return 4 * paramLayout(config).total;
}

/**
 * Sampling `count` sequences of `config` at once must fit the budget too (a
 * 5 MB file may declare V 262144 × L 4096: 4 GiB of logits per sequence).
 * The estimate is the training one, an upper bound of a forward pass.
 */
export function checkSamplingMemory(config: DiTConfig, count: number, what: string): void {
  const need = trainingMemoryBytes(config, count);
  if (need <= TRAINING_MEMORY_BUDGET) return;
  throw new RefusedError(
    `${what}: sampling ${count} × L ${config.length} × V ${config.vocab} at once needs an estimated ${gib(need)} GiB (an upper bound), ` +
      `more than the ${TRAINING_MEMORY_BUDGET / 2 ** 30} GiB budget${count > 1 ? '; sample fewer at once' : ''}`,
  );
}

/** The memory budget, then the settings themselves, of a run of `config` with `train`. */
export function checkWork(config: DiTConfig, train: TrainConfig, what: string, resumed: boolean, extraBytes = 0): void {
  checkTrainingMemory(config, train.batch, what, { resumed, extraBytes });
  checkTrainSettings(train, what);
}
