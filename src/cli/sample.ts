/**
 * `flm sample --checkpoint <file> --steps N --seed S [--count n] [--backend cpu|webgpu] [--trajectory out.json] [--k K] [--teacher <flm>]`:
 * samples with the checkpoint's EMA weights (its raw weights when it has no
 * EMA): an FLM with N Euler steps (spec section 5), an FMLM with N steps of
 * the one-network flow-map sampler (N = 1: one-step generation, section 7),
 * a stage-1 flow map with the two-network sampler and its `--teacher`
 * (section 6); through the same SamplingSession as the studio's sampling worker. Prints each sample's text, then one JSON line
 * with the tokens. `--trajectory` also writes every frame's summary (the
 * studio's "Export JSON" format).
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FrameSummary } from '../sampling/frames.ts';
import { SAMPLER_NAMES, SamplingSession } from '../sampling/session.ts';
import { trajectoryJSON } from '../sampling/trajectory.ts';
import { createBackend, type BackendName } from './backend.ts';
import { loadModelFile } from './modelFile.ts';

export interface SampleOptions {
  checkpoint: string; steps: number; seed: number; count: number; backend: BackendName;
  trajectory?: string; k?: number; teacher?: string;
}

export interface SampleSummary {
  steps: number; seed: number; count: number; backend: BackendName;
  ms_per_sample: number; ms_per_step: number; sampler: string; tokens: number[][]; texts: string[];
}

export async function sampleCommand(o: SampleOptions, print: (s: string) => void): Promise<SampleSummary> {
  const file = loadModelFile(o.checkpoint);
  const ckpt = file.checkpoint;
  const backend = await createBackend(o.backend);
  try {
    const teacher = o.teacher ? loadModelFile(o.teacher).checkpoint : undefined;
    const session = new SamplingSession(backend, ckpt, { teacher });
    const frames: FrameSummary[] = [];
    const settings = { steps: o.steps, seed: o.seed, count: o.count, k: Math.min(o.k ?? 8, ckpt.config.vocab) };
    const run = await session.run(settings, o.trajectory ? (f) => { frames.push(f); } : undefined);
    if (o.trajectory) {
      const json = trajectoryJSON({ model: basename(o.checkpoint), backend: o.backend, length: ckpt.config.length, vocab: ckpt.config.vocab, ...settings }, session.pieces, frames, run);
      writeFileSync(o.trajectory, JSON.stringify(json));
    }
    const named = file.official?.tokenizerName;
    const label = session.tokenizer ? '' : named
      ? ` (the ${named} tokenizer is not bundled with this checkpoint: token ids)`
      : ' (no tokenizer in this checkpoint: token ids)';
    run.texts.forEach((t, i) => print(`--- sample ${i}${label} ---\n${t}`));
    return {
      steps: o.steps, seed: o.seed, count: o.count, backend: o.backend,
      ms_per_sample: run.msTotal / o.count, ms_per_step: run.msPerStep, sampler: SAMPLER_NAMES[session.kind], tokens: run.tokens, texts: run.texts,
    };
  } finally {
    backend.destroy();
  }
}
