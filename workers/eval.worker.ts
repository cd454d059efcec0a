/// <reference lib="webworker" />
/**
 * The evaluation worker: loads an FLM, an FMLM and an autoregressive judge
 * (bundled or stored), tokenizes the judge's held-out text, and runs the
 * step sweep of src/eval/sweep.ts on its own backend, streaming progress and
 * rows; the result is saved with the models (IndexedDB, keyed by the pair).
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import { splitTrainVal } from '../src/data/corpus.ts';
import { tokenizerFromJSON } from '../src/data/tokenizer.ts';
import { evalMarkdown, runEvalSweep, withEntropyVsData, type EvalModel } from '../src/eval/sweep.ts';
import { SamplingSession } from '../src/sampling/session.ts';
import { decodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { backendFor } from './backends.ts';
import { exposeApi, toWorkerError } from './expose.ts';
import { corpusText, modelBytes } from './models.ts';
import { WorkerError, type EvalApi, type ModelRef, type SavedEval } from './protocol.ts';

const store = new CheckpointStore();
let results: UseStore | null = null;
const evals = () => (results ??= createStore('flm-studio-evals', 'evals'));

let controller: AbortController | null = null;

const keyOf = (s: ModelRef | null) => (!s ? '-' : s.kind === 'bundled' ? `bundled:${s.file}` : `stored:${s.id}`);
const pairKey = (flm: ModelRef | null, fmlm: ModelRef | null) => `${keyOf(flm)}|${keyOf(fmlm)}`;

async function load(src: ModelRef): Promise<{ name: string; ckpt: Checkpoint }> {
  const { name, bytes } = await modelBytes(store, src);
  const ckpt = decodeCheckpoint(bytes);
  return { name: ckpt.meta.name || name, ckpt };
}

/** The judge's held-out text (the validation split of the corpus it was trained on), tokenized; null when the studio cannot find that corpus. */
async function heldOut(judge: Checkpoint): Promise<Uint32Array | null> {
  const corpus = judge.meta.data?.corpus;
  if (corpus?.kind !== 'bundled' || !judge.meta.tokenizer) return null;
  const { text } = await corpusText({ kind: 'bundled', id: corpus.id });
  return tokenizerFromJSON(judge.meta.tokenizer).encode(splitTrainVal(text).val);
}

const api: EvalApi = {
  async run(req, onEvent) {
    if (controller) throw new WorkerError('busy', 'an evaluation is already running');
    controller = new AbortController();
    try {
      const { backend, note } = await backendFor(req.backend ?? 'auto');
      const judge = await load(req.judge);
      const models: EvalModel[] = [];
      if (req.flm) { const m = await load(req.flm); models.push({ name: m.name, checkpoint: m.ckpt, steps: req.stepsFlm }); }
      if (req.fmlm) { const m = await load(req.fmlm); models.push({ name: m.name, checkpoint: m.ckpt, steps: req.stepsFmlm }); }
      const text = await heldOut(judge.ckpt);
      // One throw-away step per model compiles its GPU pipelines, so that the
      // first row's time per sample is sampling, not shader compilation.
      for (const m of models) {
        const warm = new SamplingSession(backend, m.checkpoint);
        try { await warm.run({ steps: 1, seed: 0, count: Math.min(16, req.samples), k: 1 }); } finally { warm.release(); }
      }
      const rows = (text ? 1 : 0) + models.reduce((s, m) => s + (m.steps?.length ?? 0), 0);
      const described = backend.description + note;
      onEvent({ type: 'started', rows, backend: described });
      const result = await runEvalSweep(backend, judge.ckpt, models, {
        samples: req.samples, seed: req.seed, heldOut: text ?? undefined, signal: controller.signal,
        onProgress: (progress) => onEvent({ type: 'progress', progress }),
      });
      const saved: SavedEval = {
        ...result,
        models: { flm: models.find((m) => !m.checkpoint.config.twoTime)?.name ?? null, fmlm: models.find((m) => m.checkpoint.config.twoTime)?.name ?? null },
        samples: req.samples, backend: described, date: new Date().toISOString(),
      };
      await set(pairKey(req.flm, req.fmlm), saved, evals()).catch(() => undefined);
      onEvent({ type: 'done', result: saved });
    } catch (e) {
      if ((e as Error).name === 'AbortError') onEvent({ type: 'stopped' });
      else {
        const { code, message } = toWorkerError(e);
        onEvent({ type: 'error', code, message: `Evaluation failed: ${message}` });
      }
    } finally {
      controller = null;
    }
  },

  async stop() {
    controller?.abort();
  },

  async saved(flm, fmlm) {
    const saved = await get<SavedEval>(pairKey(flm, fmlm), evals());
    // A result saved before the entropy was compared with the data's gets the comparison now.
    return saved ? withEntropyVsData(saved) : null;
  },

  async markdown(result) {
    return evalMarkdown(result);
  },
};

exposeApi(api);
