/**
 * `flm eval`: the evaluation sweep (src/eval/sweep.ts) headless.
 *   npm run flm -- eval --models <files…> --judge <file> --samples n [--steps-flm 1,2,…] [--steps-fmlm 1,2,4,8]
 *                       [--seed S] [--batch b] [--backend auto|wasm|webgpu|cpu] [--threads n] [--corpus <brown|file>] [--out dir] [--no-cache]
 *                       [--teacher <flm>]
 * Writes <out>/eval.md and <out>/eval.json ({"rows":[…],"judge":{…}}), caches
 * the generated tokens under <out>/samples/ (a rerun with another judge does
 * not sample again), reports progress on stderr and prints the JSON file's
 * path as its last stdout line. A stage-1 flow map samples with its FLM
 * teacher: --teacher, or else the FLM among --models whose weights it was
 * distilled from (the fingerprint in its metadata).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { splitTrainVal } from '../data/corpus.ts';
import { tokenizerFromJSON, type TokenizerJSON } from '../data/tokenizer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { distilledFrom, evalMarkdown, evalModelKind, formatVsData, runEvalSweep, DEFAULT_STEPS_FLM, DEFAULT_STEPS_FMLM, type EvalModel, type SampleCache } from '../eval/sweep.ts';
import { weightsFingerprint } from '../model/weights.ts';
import { samplerFor } from '../io/meta.ts';
import { createBackend, type BackendChoice } from './backend.ts';
import { loadModelFile } from './modelFile.ts';
import { checkSamplingMemory } from './checks.ts';
import { readRegular, RefusedError, writeFileAtomic } from './files.ts';
import { loadCorpusText, recordedCorpus } from './train.ts';

export interface EvalOptions {
  models: string[];
  judge: string;
  samples: number;
  stepsFlm?: number[];
  stepsFmlm?: number[];
  seed?: number;
  batch?: number;
  backend: BackendChoice;
  /** The WebAssembly backend's threads (default: one per core). */
  threads?: number;
  corpus?: string;
  out: string;
  cache?: boolean;
  /** The FLM teacher of stage-1 flow maps among the models (default: the matching FLM among them). */
  teacher?: string;
}

/**
 * The sample cache as files (<out>/samples/<key>.json), written atomically.
 * An entry that cannot be read (not JSON, the wrong shape) is named on
 * stderr and treated as absent, so that it is sampled again and rewritten;
 * the sweep checks the tokens themselves (count, range) and reports a bad
 * entry through `rejected`.
 */
function fileCache(dir: string, log: (s: string) => void): SampleCache {
  mkdirSync(dir, { recursive: true });
  const path = (key: string) => join(dir, `${key}.json`);
  const ignore = (key: string, why: string) => log(`ignoring the cached samples ${path(key)}: ${why}; sampling again`);
  return {
    async get(key) {
      if (!existsSync(path(key))) return undefined;
      let j: unknown;
      try {
        const bytes = readRegular(path(key), 'sample cache', MAX_CACHE_BYTES);
        j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch (e) {
        ignore(key, e instanceof SyntaxError ? `it is not valid JSON (${e.message}; truncated?)` : (e as Error).message);
        return undefined;
      }
      const o = j as { tokens?: unknown; ms?: unknown } | null;
      if (typeof o !== 'object' || o === null || !Array.isArray(o.tokens) || typeof o.ms !== 'number' || !Number.isFinite(o.ms) || o.ms < 0) {
        ignore(key, 'it is not {"tokens": [...], "ms": n}');
        return undefined;
      }
      const tokens = o.tokens as unknown[];
      const bad = tokens.findIndex((t) => typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= 2 ** 32);
      if (bad >= 0) {
        ignore(key, `token ${bad} is ${JSON.stringify(tokens[bad])}, not a token id`);
        return undefined;
      }
      return { tokens: Uint32Array.from(tokens as number[]), ms: o.ms };
    },
    async set(key, v) {
      writeFileAtomic(path(key), new TextEncoder().encode(JSON.stringify({ tokens: Array.from(v.tokens), ms: v.ms })));
    },
    rejected(key, why) {
      ignore(key, why);
    },
  };
}

/** The largest cache file read (64 samples × 4096 positions of 10-digit ids is far below). */
const MAX_CACHE_BYTES = 512 * 2 ** 20;

const load = (f: string): Checkpoint => loadModelFile(f).checkpoint;

/** The FLM a stage-1 flow map samples with: the one given, or the FLM among the models it was distilled from. */
function teacherOf(file: string, g: Checkpoint, given: { file: string; checkpoint: Checkpoint } | undefined, models: { file: string; checkpoint: Checkpoint }[]): Checkpoint {
  const want = distilledFrom(g);
  const matches = (c: Checkpoint) => !c.config.twoTime && !c.config.causal && weightsFingerprint(c) === want;
  if (given) {
    if (want && !matches(given.checkpoint)) throw new Error(`${basename(file)} was not distilled from ${basename(given.file)}: its two-network samples would be meaningless`);
    return given.checkpoint;
  }
  const found = models.find((m) => matches(m.checkpoint));
  if (!found) throw new Error(`${basename(file)} is a stage-1 flow map: it samples with its FLM teacher, which is not among --models (add it, or pass --teacher <flm>)`);
  return found.checkpoint;
}

export async function evalCommand(o: EvalOptions, log: (s: string) => void): Promise<string> {
  const judge = load(o.judge);
  if (judge.meta.kind !== 'judge') throw new RefusedError(`${o.judge} is a ${judge.meta.kind} checkpoint, not a judge (train one with flm train-judge)`);
  const loaded = o.models.map((f) => ({ file: f, checkpoint: load(f) }));
  const teacher = o.teacher ? { file: o.teacher, checkpoint: load(o.teacher) } : undefined;
  const models: EvalModel[] = loaded.map(({ file, checkpoint }) => {
    const f = samplerFor(checkpoint.meta) === 'two-network' ? teacherOf(file, checkpoint, teacher, loaded) : undefined;
    const kind = evalModelKind(checkpoint, !!f);
    return { name: basename(file), checkpoint, teacher: f, steps: kind === 'flm' ? (o.stepsFlm ?? DEFAULT_STEPS_FLM) : (o.stepsFmlm ?? DEFAULT_STEPS_FMLM) };
  });
  // A file a checkpoint names is never opened: --corpus, or the judge's bundled corpus.
  // Each model and the judge see batches of at most min(--batch, 64, --samples).
  const batch = Math.min(o.batch ?? 16, 64, o.samples);
  for (const [file, c] of [[o.judge, judge] as const, ...loaded.map((m) => [m.file, m.checkpoint] as const)]) checkSamplingMemory(c.config, batch, file);
  const corpusSpec = o.corpus ?? recordedCorpus(judge.meta.data?.corpus, `the judge ${o.judge}`);
  const corpus = loadCorpusText(corpusSpec);
  if (!judge.meta.tokenizer) throw new Error('the judge has no tokenizer');
  const tokenizer = tokenizerFromJSON(judge.meta.tokenizer);
  const heldOut = tokenizer.encode(splitTrainVal(corpus.text).val);
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const backend = await createBackend(o.backend, { threads: o.threads }, log);
  const t0 = performance.now();
  try {
    const result = await runEvalSweep(backend, judge, models, {
      samples: o.samples, seed: o.seed ?? 0, batch: o.batch, heldOut,
      cache: o.cache === false ? undefined : fileCache(join(out, 'samples'), log),
      onProgress: (p) => {
        const label = `[${p.row + 1}/${p.rows}] ${p.model} ${p.name}${p.steps === null ? '' : ` ${p.steps} steps`}`;
        if (p.result) {
          const r = p.result;
          const vs = r.entropy_vs_data ?? null;
          log(`${label}: gen ppl ${r.gen_ppl.toFixed(3)}, entropy ${r.entropy.toFixed(3)}${vs === null ? '' : ` (${formatVsData(vs)} vs data)`}` +
            `${r.ms_per_sample === null ? '' : `, ${r.ms_per_sample.toFixed(1)} ms/sample`} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        } else if (p.done > 0 && process.stderr.isTTY) process.stderr.write(`${label}: ${p.done}/${p.samples}\r`);
      },
    });
    const json = {
      ...result,
      judge: { file: o.judge, ...result.judge },
      models: models.map((m, i) => ({ file: o.models[i], name: m.name, kind: evalModelKind(m.checkpoint, !!m.teacher), step: m.checkpoint.meta.step })),
      backend: backend.name,
      corpus: corpusSpec,
      seconds: (performance.now() - t0) / 1000,
    };
    const jsonPath = join(out, 'eval.json');
    const text = (s: string) => new TextEncoder().encode(s);
    writeFileAtomic(join(out, 'eval.md'), text(evalMarkdown(result, `Evaluation (${o.samples} samples per row, judge ${basename(o.judge)})`)));
    writeFileAtomic(jsonPath, text(JSON.stringify(json, null, 1) + '\n'));
    return jsonPath;
  } finally {
    backend.destroy();
  }
}
