/**
 * `flm eval`: the evaluation sweep (src/eval/sweep.ts) headless.
 *   npm run flm -- eval --models <files…> --judge <file> --samples n [--steps-flm 1,2,…] [--steps-fmlm 1,2,4,8]
 *                       [--seed S] [--batch b] [--backend cpu|webgpu] [--corpus <brown|file>] [--out dir] [--no-cache]
 *                       [--teacher <flm>]
 * Writes <out>/eval.md and <out>/eval.json ({"rows":[…],"judge":{…}}), caches
 * the generated tokens under <out>/samples/ (a rerun with another judge does
 * not sample again), reports progress on stderr and prints the JSON file's
 * path as its last stdout line. A stage-1 flow map samples with its FLM
 * teacher: --teacher, or else the FLM among --models whose weights it was
 * distilled from (the fingerprint in its metadata).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { splitTrainVal } from '../data/corpus.ts';
import { tokenizerFromJSON, type TokenizerJSON } from '../data/tokenizer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { distilledFrom, evalMarkdown, evalModelKind, runEvalSweep, DEFAULT_STEPS_FLM, DEFAULT_STEPS_FMLM, type EvalModel, type SampleCache } from '../eval/sweep.ts';
import { weightsFingerprint } from '../model/weights.ts';
import { samplerFor } from '../io/meta.ts';
import { createBackend, type BackendName } from './backend.ts';
import { loadModelFile } from './modelFile.ts';
import { loadCorpusText } from './train.ts';

export interface EvalOptions {
  models: string[];
  judge: string;
  samples: number;
  stepsFlm?: number[];
  stepsFmlm?: number[];
  seed?: number;
  batch?: number;
  backend: BackendName;
  corpus?: string;
  out: string;
  cache?: boolean;
  /** The FLM teacher of stage-1 flow maps among the models (default: the matching FLM among them). */
  teacher?: string;
}

function fileCache(dir: string): SampleCache {
  mkdirSync(dir, { recursive: true });
  const path = (key: string) => join(dir, `${key}.json`);
  return {
    async get(key) {
      if (!existsSync(path(key))) return undefined;
      const j = JSON.parse(readFileSync(path(key), 'utf8')) as { tokens: number[]; ms: number };
      return { tokens: Uint32Array.from(j.tokens), ms: j.ms };
    },
    async set(key, v) {
      writeFileSync(path(key), JSON.stringify({ tokens: Array.from(v.tokens), ms: v.ms }));
    },
  };
}

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
  if (judge.meta.kind !== 'judge') throw new Error(`${o.judge} is a ${judge.meta.kind} checkpoint, not a judge (train one with flm train-judge)`);
  const loaded = o.models.map((f) => ({ file: f, checkpoint: load(f) }));
  const teacher = o.teacher ? { file: o.teacher, checkpoint: load(o.teacher) } : undefined;
  const models: EvalModel[] = loaded.map(({ file, checkpoint }) => {
    const f = samplerFor(checkpoint.meta) === 'two-network' ? teacherOf(file, checkpoint, teacher, loaded) : undefined;
    const kind = evalModelKind(checkpoint, !!f);
    return { name: basename(file), checkpoint, teacher: f, steps: kind === 'flm' ? (o.stepsFlm ?? DEFAULT_STEPS_FLM) : (o.stepsFmlm ?? DEFAULT_STEPS_FMLM) };
  });
  const corpusSpec = o.corpus ?? ((judge.meta.data as { corpus?: { kind?: string; id?: string; name?: string } } | undefined)?.corpus?.id)
    ?? (judge.meta.data as { corpus?: { name?: string } } | undefined)?.corpus?.name;
  if (!corpusSpec) throw new Error('the judge does not record its corpus: pass --corpus');
  const corpus = loadCorpusText(corpusSpec);
  if (!judge.meta.tokenizer) throw new Error('the judge has no tokenizer');
  const tokenizer = tokenizerFromJSON(judge.meta.tokenizer);
  const heldOut = tokenizer.encode(splitTrainVal(corpus.text).val);
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const backend = await createBackend(o.backend);
  const t0 = performance.now();
  try {
    const result = await runEvalSweep(backend, judge, models, {
      samples: o.samples, seed: o.seed ?? 0, batch: o.batch, heldOut,
      cache: o.cache === false ? undefined : fileCache(join(out, 'samples')),
      onProgress: (p) => {
        const label = `[${p.row + 1}/${p.rows}] ${p.model} ${p.name}${p.steps === null ? '' : ` ${p.steps} steps`}`;
        if (p.result) {
          const r = p.result;
          log(`${label}: gen ppl ${r.gen_ppl.toFixed(3)}, entropy ${r.entropy.toFixed(3)}${r.ms_per_sample === null ? '' : `, ${r.ms_per_sample.toFixed(1)} ms/sample`} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        } else if (p.done > 0 && process.stderr.isTTY) process.stderr.write(`${label}: ${p.done}/${p.samples}\r`);
      },
    });
    const json = {
      ...result,
      judge: { file: o.judge, ...result.judge },
      models: models.map((m, i) => ({ file: o.models[i], name: m.name, kind: evalModelKind(m.checkpoint, !!m.teacher), step: m.checkpoint.meta.step })),
      backend: o.backend,
      corpus: corpusSpec,
      seconds: (performance.now() - t0) / 1000,
    };
    const jsonPath = join(out, 'eval.json');
    writeFileSync(join(out, 'eval.md'), evalMarkdown(result, `Evaluation (${o.samples} samples per row, judge ${basename(o.judge)})`));
    writeFileSync(jsonPath, JSON.stringify(json, null, 1) + '\n');
    return jsonPath;
  } finally {
    backend.destroy();
  }
}
