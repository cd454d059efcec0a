/**
 * The evaluation sweep of issue 6: samples from each model at each step
 * count (fixed seeds, batched), scored by an autoregressive judge
 * (src/ar/judge.ts): generative perplexity, mean unigram entropy and wall
 * time per sample; plus the same two numbers on held-out real text (the
 * "data" row). No Node imports: it runs in Node (`flm eval`) and in a
 * browser worker on any Backend.
 *
 * Seeds: batch j of every row samples with seed `seed + j` (the noise stream
 * depends only on seed and shape), so all rows start from the same noise.
 */
import type { Backend } from '../engine/backend.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { Judge } from '../ar/judge.ts';
import { SamplingSession } from '../sampling/session.ts';
import { samplerFor } from '../io/meta.ts';
import { weightsFingerprint } from '../model/weights.ts';
import { tokenizerFromJSON, tokenPieces, type TokenizerJSON } from '../data/tokenizer.ts';
import { generativePerplexity, heldOutWindows, mean, meanSampleEntropy, relativeToData } from './metrics.ts';

export const DEFAULT_STEPS_FLM = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
export const DEFAULT_STEPS_FMLM = [1, 2, 4, 8];

/** "flm": Euler; "fmlm": one-network flow-map sampler; "flowmap": a stage-1 flow map with its FLM teacher (two-network sampler). */
export type EvalModelKind = 'flm' | 'fmlm' | 'flowmap';

export interface EvalModel {
  /** A label for the rows (a file name, say). */
  name: string;
  checkpoint: Checkpoint;
  /** The FLM a stage-1 flow map was distilled from (it samples with the two-network sampler); ignored otherwise. */
  teacher?: Checkpoint;
  /** Step counts for this model; default by kind (DEFAULT_STEPS_FLM, DEFAULT_STEPS_FMLM for the other two). */
  steps?: number[];
}

export interface EvalRow {
  /** "flm" (Euler), "fmlm" (one-network flow-map sampler), "flowmap" (stage-1 flow map + FLM) or "data" (held-out text). */
  model: EvalModelKind | 'data';
  /** The EvalModel's name ("validation text" for the data row). */
  name: string;
  /** Sampling steps (null for the data row). */
  steps: number | null;
  samples: number;
  /** exp(mean judge NLL over all the row's tokens). */
  gen_ppl: number;
  /** Mean judge NLL per token (nats): ln gen_ppl. */
  nll: number;
  /** Mean over samples of the unigram entropy of each sample (nats). */
  entropy: number;
  /**
   * The entropy relative to the data row's, as a signed fraction (−0.067:
   * 6.7 % below real text); null for the data row itself and in a sweep
   * without one. Absent from results saved before it was reported.
   */
  entropy_vs_data?: number | null;
  /** Wall time of sampling (not scoring) per sample, ms; null for the data row. */
  ms_per_sample: number | null;
  /** The first sample, decoded. */
  example: string;
}

export interface JudgeInfo {
  name: string;
  step: number;
  params: number;
  length: number;
  vocab: number;
  /** The judge's mean NLL (nats/token) and perplexity on the data row's held-out windows (EMA weights). */
  val_ce: number;
  val_ppl: number;
}

export interface EvalResult {
  rows: EvalRow[];
  judge: JudgeInfo;
  /** The data row's mean per-sample unigram entropy (nats): what every row's entropy is compared with; null without a data row. */
  data_entropy?: number | null;
  seed: number;
  batch: number;
}

export interface EvalProgress {
  /** Row index (0-based) and the number of rows (the data row first). */
  row: number;
  rows: number;
  model: EvalRow['model'];
  name: string;
  steps: number | null;
  /** Samples of this row done so far (sampled and scored). */
  done: number;
  samples: number;
  /** The finished row, on the row's last report. */
  result?: EvalRow;
}

/**
 * Generated tokens of one (model, steps, seed, samples, batch), so a rerun (a
 * new judge, say) need not sample again. What `get` returns is checked
 * (`cachedSamplesProblem`): an entry of the wrong size or with token ids
 * outside the vocabulary is reported to `rejected`, sampled again and rewritten.
 */
export interface SampleCache {
  get(key: string): Promise<{ tokens: Uint32Array; ms: number } | undefined>;
  set(key: string, value: { tokens: Uint32Array; ms: number }): Promise<void>;
  /** A cached entry that was not used, and why. */
  rejected?(key: string, why: string): void;
}

/** Why cached samples cannot be the `count` samples of length L of a vocabulary of V tokens, or null. */
export function cachedSamplesProblem(v: { tokens: Uint32Array; ms: number }, count: number, L: number, V: number): string | null {
  if (!(v.tokens instanceof Uint32Array) || v.tokens.length !== count * L) {
    return `it holds ${v.tokens?.length} tokens where ${count} samples of ${L} need ${count * L}`;
  }
  const bad = v.tokens.findIndex((t) => t >= V);
  if (bad >= 0) return `token ${bad} is ${v.tokens[bad]}, outside the vocabulary of ${V}`;
  if (!(Number.isFinite(v.ms) && v.ms >= 0)) return `its sampling time ${v.ms} is not a duration`;
  return null;
}

export interface EvalOptions {
  /** Samples per row. */
  samples: number;
  /** Seed of the first batch (batch j uses seed + j). */
  seed?: number;
  /** Samples per batch (sampling and scoring); at most 64. */
  batch?: number;
  /** Held-out tokens (the corpus's validation split, tokenized) for the data row; no data row without. */
  heldOut?: Uint32Array;
  cache?: SampleCache;
  onProgress?: (p: EvalProgress) => void;
  /** Checked between batches: abort throws an Error named 'AbortError'. */
  signal?: AbortSignal;
}

/** The row kind of a checkpoint the sweep can sample; a stage-1 flow map only with its teacher (`hasTeacher`). */
export function evalModelKind(c: Checkpoint, hasTeacher = false): EvalModelKind {
  const k = samplerFor(c.meta);
  if (k === 'euler' && !c.config.causal) return 'flm';
  if (k === 'flowmap') return 'fmlm';
  if (k === 'two-network' && hasTeacher) return 'flowmap';
  throw new Error(k === 'two-network'
    ? 'a stage-1 flow map samples only with its FLM teacher (two networks): give the teacher too, or evaluate the FMLM of stage 2'
    : `a ${c.meta.kind} checkpoint is not a model to sample`);
}

/** The recorded fingerprint of the FLM a distilled checkpoint was distilled from, if any. */
export function distilledFrom(c: Checkpoint): string | undefined {
  return c.meta.distill?.teacherF.fingerprint;
}

/**
 * Let the thread run its other tasks (a worker's Stop message) before the
 * abort check: on the CPU and WebAssembly backends every await of the sweep
 * resolves without leaving the microtask queue, so a message would otherwise
 * be read only once the whole sweep had finished.
 */
async function checkAborted(signal?: AbortSignal): Promise<void> {
  if (signal) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  if (signal?.aborted) {
    const e = new Error('evaluation cancelled');
    e.name = 'AbortError';
    throw e;
  }
}

const sameTokenizer = (a: Checkpoint, b: Checkpoint) => JSON.stringify(a.meta.tokenizer ?? null) === JSON.stringify(b.meta.tokenizer ?? null);

/**
 * Run the sweep: the data row (when `heldOut` is given), then for each model
 * and each of its step counts one row of `samples` samples.
 */
export async function runEvalSweep(backend: Backend, judgeCkpt: Checkpoint, models: EvalModel[], o: EvalOptions): Promise<EvalResult> {
  const seed = o.seed ?? 0, batch = Math.min(o.batch ?? 16, 64, o.samples), n = o.samples;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`samples must be a whole number ≥ 1, got ${n}`);
  const L = judgeCkpt.config.length, V = judgeCkpt.config.vocab;
  const plans = models.map((m) => {
    const kind = evalModelKind(m.checkpoint, !!m.teacher);
    const c = m.checkpoint.config;
    if (c.vocab !== V || c.length !== L) throw new Error(`${m.name}: vocabulary ${c.vocab} and length ${c.length} differ from the judge's (${V}, ${L})`);
    if (!sameTokenizer(m.checkpoint, judgeCkpt)) throw new Error(`${m.name}: its tokenizer is not the judge's`);
    const steps = m.steps ?? (kind === 'flm' ? DEFAULT_STEPS_FLM : DEFAULT_STEPS_FMLM);
    const teacher = kind === 'flowmap' ? m.teacher : undefined;
    const digest = !o.cache ? '' : weightsFingerprint(m.checkpoint) + (teacher ? `-${weightsFingerprint(teacher)}` : '');
    return { m, kind, steps, teacher, digest };
  });
  const totalRows = (o.heldOut ? 1 : 0) + plans.reduce((s, p) => s + p.steps.length, 0);
  const judge = new Judge(backend, judgeCkpt, batch);
  const rows: EvalRow[] = [];
  const tk = judgeCkpt.meta.tokenizer ? tokenizerFromJSON(judgeCkpt.meta.tokenizer) : null;
  const pieces = tokenPieces(tk, V);
  const decodeFirst = (tokens: Uint32Array) => {
    const first = tokens.subarray(0, L);
    return tk ? tk.decode(first) : Array.from(first, (i) => pieces[i]).join('');
  };
  try {
    let dataNll = NaN, dataEntropy: number | null = null;
    if (o.heldOut) {
      const name = 'validation text';
      const tokens = heldOutWindows(o.heldOut, L, n);
      o.onProgress?.({ row: 0, rows: totalRows, model: 'data', name, steps: null, done: 0, samples: n });
      const nll = await judge.nll(tokens, n);
      dataNll = mean(nll);
      const row: EvalRow = {
        model: 'data', name, steps: null, samples: n, gen_ppl: generativePerplexity(nll), nll: dataNll,
        entropy: meanSampleEntropy(tokens, n, L), entropy_vs_data: null, ms_per_sample: null, example: decodeFirst(tokens),
      };
      dataEntropy = row.entropy;
      rows.push(row);
      o.onProgress?.({ row: 0, rows: totalRows, model: 'data', name, steps: null, done: n, samples: n, result: row });
    }
    for (const plan of plans) {
      const session = new SamplingSession(backend, plan.m.checkpoint, { teacher: plan.teacher });
      try {
        for (const steps of plan.steps) {
          await checkAborted(o.signal);
          const rowIndex = rows.length;
          const base = { row: rowIndex, rows: totalRows, model: plan.kind, name: plan.m.name, steps, samples: n };
          o.onProgress?.({ ...base, done: 0 });
          const key = `${plan.kind}-${plan.digest}-steps${steps}-seed${seed}-n${n}-b${batch}`;
          let cached = o.cache ? await o.cache.get(key) : undefined;
          const problem = cached && cachedSamplesProblem(cached, n, L, V);
          if (problem) {
            o.cache?.rejected?.(key, problem);
            cached = undefined;
          }
          const tokens = new Uint32Array(n * L);
          const nll = new Float64Array(n);
          let ms = 0;
          if (cached) {
            tokens.set(cached.tokens);
            ms = cached.ms;
          }
          for (let start = 0, j = 0; start < n; start += batch, j++) {
            await checkAborted(o.signal);
            const count = Math.min(batch, n - start);
            if (!cached) {
              const run = await session.run({ steps, seed: seed + j, count, k: 1 });
              ms += run.msTotal;
              run.tokens.forEach((r, i) => tokens.set(r, (start + i) * L));
            }
            nll.set(await judge.nll(tokens.subarray(start * L, (start + count) * L), count), start);
            o.onProgress?.({ ...base, done: start + count });
          }
          if (o.cache && !cached) await o.cache.set(key, { tokens, ms });
          const entropy = meanSampleEntropy(tokens, n, L);
          const row: EvalRow = {
            model: plan.kind, name: plan.m.name, steps, samples: n,
            gen_ppl: generativePerplexity(nll), nll: mean(nll), entropy, entropy_vs_data: relativeToData(entropy, dataEntropy),
            ms_per_sample: ms / n, example: decodeFirst(tokens),
          };
          rows.push(row);
          o.onProgress?.({ ...base, done: n, result: row });
        }
      } finally {
        session.release();
      }
    }
    return {
      rows, seed, batch, data_entropy: dataEntropy,
      judge: {
        name: judgeCkpt.meta.name, step: judgeCkpt.meta.step, params: judge.model.layout.count, length: L, vocab: V,
        val_ce: dataNll, val_ppl: Math.exp(dataNll),
      },
    };
  } finally {
    judge.release();
  }
}

/**
 * The data row's entropy of a result: its `data_entropy`, or (a result saved
 * before that was recorded) the entropy of its data row; null without one.
 */
export function dataEntropyOf(r: { rows: EvalRow[]; data_entropy?: number | null }): number | null {
  if (r.data_entropy !== undefined) return r.data_entropy;
  return r.rows.find((x) => x.model === 'data')?.entropy ?? null;
}

/** A row's entropy against the data's: its `entropy_vs_data`, or computed from `dataEntropy` (older results); null for the data row. */
export function entropyVsData(row: EvalRow, dataEntropy: number | null): number | null {
  if (row.model === 'data') return null;
  return row.entropy_vs_data ?? relativeToData(row.entropy, dataEntropy);
}

/**
 * A result with every row's entropy against the data's filled in (results
 * saved before it was reported lack `data_entropy` and `entropy_vs_data`).
 */
export function withEntropyVsData<R extends EvalResult>(r: R): R {
  const dataEntropy = dataEntropyOf(r);
  return { ...r, data_entropy: dataEntropy, rows: r.rows.map((x) => ({ ...x, entropy_vs_data: entropyVsData(x, dataEntropy) })) };
}

/**
 * A signed fraction as a percentage with one decimal ("−6.7 %", "+1.2 %"), or
 * "—" (the same as fmtSignedPercent of src/util/format.ts, which the UI uses:
 * the layers keep the two apart).
 */
export function formatVsData(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  const pct = Math.abs(x * 100).toFixed(1);
  return `${x < 0 && pct !== '0.0' ? '−' : '+'}${pct} %`;
}

/** The result as a markdown table (one line per row): every generative perplexity with its entropy and the entropy against the data's. */
export function evalMarkdown(r: EvalResult, title = 'Evaluation'): string {
  const f = (x: number | null, d: number) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
  const dataH = dataEntropyOf(r);
  const lines = [
    `# ${title}`, '',
    `Judge: "${r.judge.name}", step ${r.judge.step}, ${r.judge.params.toLocaleString('en-US')} parameters; ` +
      `held-out NLL ${f(r.judge.val_ce, 4)} nats/token (perplexity ${f(r.judge.val_ppl, 3)}). Seed ${r.seed}, batch ${r.batch}.`,
    ...(dataH === null ? [] : ['', `Entropy: the mean over samples of each sample's unigram token entropy (nats); real text (the data row): ${f(dataH, 3)}.`]),
    '',
    '| model | name | steps | samples | gen. perplexity | entropy (nats) | entropy vs data | NLL (nats/token) | ms/sample | sample 0 |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const show = (s: string) => '`' + s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/`/g, "'").replace(/\|/g, '¦') + '`';
  for (const x of r.rows) {
    lines.push(`| ${x.model} | ${x.name} | ${x.steps ?? '—'} | ${x.samples} | ${f(x.gen_ppl, 3)} | ${f(x.entropy, 3)} | ${formatVsData(entropyVsData(x, dataH))} | ${f(x.nll, 4)} | ${f(x.ms_per_sample, 1)} | ${show(x.example)} |`);
  }
  return lines.join('\n') + '\n';
}
