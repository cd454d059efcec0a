/**
 * A loaded model ready to sample: the checkpoint's EMA weights (its raw
 * weights when it has none) on a backend, its tokenizer, and one sampler
 * per sample count. The sampler follows the model: an FLM gets the Euler
 * sampler (spec section 5), an FMLM (two-time, stage 2) the one-network
 * flow-map sampler (section 7; one step = one-step generation), a stage-1
 * flow map g the two-network sampler with its FLM teacher (section 6). The
 * sampling worker and `flm sample` both run through this class, so the same
 * checkpoint, seed, N and backend give the same tokens in the studio and
 * headless.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import { TwoNetworkSampler } from '../flm/twoNetworkSampler.ts';
import { EulerSampler, type StepSampler } from '../flm/sampler.ts';
import { TimeMap } from '../flm/timeMap.ts';
import { BpeTokenizer } from '../data/bpeTokenizer.ts';
import { isNamedTokenizer, tokenizerFromJSON, tokenPieces, type TextTokenizer, type TokenizerJSON } from '../data/tokenizer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { samplerFor, type SamplerKind } from '../io/meta.ts';

export { SAMPLER_NAMES, type SamplerKind } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import { uploadWeights } from '../model/weights.ts';
import { firstNonFiniteRow, summarizeFrame, type FrameSummary } from './frames.ts';

export interface SampleSettings {
  /** Euler steps N (frames N + 1). */
  steps: number;
  seed: number;
  /** Sequences sampled together. */
  count: number;
  /** Candidates per position in each frame. */
  k: number;
}

export interface SampleRun {
  steps: number;
  seed: number;
  count: number;
  /** [count][L] final tokens. */
  tokens: number[][];
  /** Decoded final samples (token ids as ⟨id⟩ when the checkpoint has no tokenizer). */
  texts: string[];
  msTotal: number;
  msPerStep: number;
}

/** The model produced NaN or ±Inf while sampling. */
export class NonFiniteSampleError extends Error {
  constructor(step: number, sample: number, position: number) {
    super(`the model produced a non-finite value at step ${step} (sample ${sample}, position ${position}); its weights are probably broken (a diverged run?)`);
    this.name = 'NonFiniteSampleError';
  }
}

export const MAX_STEPS = 1024;
export const MAX_COUNT = 64;

/** Check settings a user typed; throws a RangeError that says which one is wrong. */
export function checkSettings(s: SampleSettings, vocab: number): void {
  const intIn = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!intIn(s.steps, 1, MAX_STEPS)) throw new RangeError(`steps must be a whole number from 1 to ${MAX_STEPS} (got ${s.steps})`);
  if (!intIn(s.count, 1, MAX_COUNT)) throw new RangeError(`the number of samples must be from 1 to ${MAX_COUNT} (got ${s.count})`);
  if (!intIn(s.seed, 0, 2 ** 32 - 1)) throw new RangeError(`the seed must be a whole number from 0 to 4294967295 (got ${s.seed})`);
  if (!intIn(s.k, 1, vocab)) throw new RangeError(`k must be from 1 to the vocabulary size ${vocab} (got ${s.k})`);
}


export class SamplingSession {
  readonly config: DiTConfig;
  readonly kind: SamplerKind;
  readonly tokenizer: TextTokenizer | null;
  /** One display string per token id. */
  readonly pieces: string[];
  readonly usesEma: boolean;
  private readonly weights: Tensor;
  private readonly teacher: { config: DiTConfig; weights: Tensor } | null = null;
  private readonly timeMap: TimeMap;
  private readonly samplers = new Map<number, StepSampler>();

  /** `teacher`: the FLM a stage-1 flow map was distilled from (the two-network sampler needs it). */
  constructor(readonly backend: Backend, ckpt: Checkpoint, opts: { teacher?: Checkpoint } = {}) {
    const kind = samplerFor(ckpt.meta);
    if (kind === null || ckpt.config.causal) {
      throw new Error('this is an autoregressive judge (it scores samples in the evaluation); it is not a flow model to sample from');
    }
    this.kind = kind;
    if (this.kind === 'two-network') {
      const f = opts.teacher;
      if (!f) throw new Error('this is a stage-1 flow map: sampling it needs its FLM teacher as well (the two-network sampler), or distil stage 2 for a one-step FMLM');
      if (f.config.twoTime || f.config.vocab !== ckpt.config.vocab || f.config.length !== ckpt.config.length) {
        throw new Error('the teacher must be an FLM with the same vocabulary and length as the flow map');
      }
      this.teacher = { config: f.config, weights: uploadWeights(backend, f, undefined, 'sample.teacher') };
    }
    this.config = ckpt.config;
    // A tokenizer only named (a converted official checkpoint's) is resolved by the caller (the studio); unresolved, token ids.
    this.tokenizer = ckpt.meta.tokenizer && !isNamedTokenizer(ckpt.meta.tokenizer) ? tokenizerFromJSON(ckpt.meta.tokenizer) : null;
    const V = this.config.vocab;
    if (this.tokenizer && this.tokenizer.vocabSize !== V) {
      throw new Error(`the checkpoint's tokenizer has ${this.tokenizer.vocabSize} tokens but its model has vocabulary ${V}`);
    }
    this.pieces = tokenPieces(this.tokenizer, V);
    this.usesEma = !!ckpt.ema;
    this.weights = uploadWeights(backend, ckpt, undefined, 'sample.weights');
    this.timeMap = new TimeMap(V);
  }

  /** What the text is made of, for people. */
  get tokenizerName(): string {
    if (!this.tokenizer) return 'none (token ids)';
    return this.tokenizer instanceof BpeTokenizer ? 'byte-level BPE' : 'characters';
  }

  decode(ids: ArrayLike<number>): string {
    if (this.tokenizer) return this.tokenizer.decode(ids);
    return Array.from(ids, (i) => this.pieces[i]).join('');
  }

  private sampler(count: number): StepSampler {
    let s = this.samplers.get(count);
    if (!s) {
      s = this.teacher
        ? new TwoNetworkSampler(this.backend, this.teacher.config, this.config, count, { f: this.teacher.weights, g: this.weights }, this.timeMap)
        : new EulerSampler(this.backend, this.config, count, this.weights, this.timeMap);
      this.samplers.set(count, s);
    }
    return s;
  }

  /**
   * Sample with N Euler steps. With `onFrame`, each of the N + 1 frames is
   * summarised (top-k, entropy, argmax, decoded argmax text) and handed over
   * before the next step runs.
   */
  async run(s: SampleSettings, onFrame?: (f: FrameSummary) => void | Promise<void>): Promise<SampleRun> {
    checkSettings(s, this.config.vocab);
    const L = this.config.length, V = this.config.vocab, rows = s.count * L;
    const sampler = this.sampler(s.count);
    const t0 = performance.now();
    const { tokens, z } = await sampler.sample(s.steps, s.seed, onFrame && (async (f) => {
      for (const x of f.p ? [f.z, f.p] : [f.z]) {
        const bad = firstNonFiniteRow(x, V);
        if (bad >= 0) throw new NonFiniteSampleError(f.step, Math.floor(bad / L), bad % L);
      }
      const sum = summarizeFrame(f, rows, V, s.k);
      sum.texts = Array.from({ length: s.count }, (_, i) => this.decode(sum.argmaxZ.subarray(i * L, (i + 1) * L)));
      await onFrame(sum);
    }));
    const ms = performance.now() - t0;
    const bad = firstNonFiniteRow(z, V);
    if (bad >= 0) throw new NonFiniteSampleError(s.steps, Math.floor(bad / L), bad % L);
    const rowsOut = Array.from({ length: s.count }, (_, i) => Array.from(tokens.subarray(i * L, (i + 1) * L)));
    return {
      steps: s.steps, seed: s.seed, count: s.count, tokens: rowsOut,
      texts: rowsOut.map((r) => this.decode(r)),
      msTotal: ms, msPerStep: ms / s.steps,
    };
  }

  release(): void {
    for (const s of this.samplers.values()) s.release();
    this.samplers.clear();
    this.backend.release(this.weights);
    if (this.teacher) this.backend.release(this.teacher.weights);
  }
}
