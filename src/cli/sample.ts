/**
 * `flm sample --checkpoint <file> --steps N --seed S [--count n] [--backend cpu|webgpu] [--trajectory out.json] [--k K]`:
 * Euler sampling (spec section 5) with the checkpoint's EMA weights (its raw
 * weights when it has no EMA), through the same SamplingSession as the
 * studio's sampling worker. Prints each sample's text, then one JSON line
 * with the tokens. `--trajectory` also writes every frame's summary (the
 * studio's "Export JSON" format).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { decodeCheckpoint } from '../io/checkpoint.ts';
import type { FrameSummary } from '../sampling/frames.ts';
import { SamplingSession } from '../sampling/session.ts';
import { trajectoryJSON } from '../sampling/trajectory.ts';
import { createBackend, type BackendName } from './backend.ts';

export interface SampleOptions {
  checkpoint: string; steps: number; seed: number; count: number; backend: BackendName;
  trajectory?: string; k?: number;
}

export interface SampleSummary {
  steps: number; seed: number; count: number; backend: BackendName;
  ms_per_sample: number; ms_per_step: number; tokens: number[][]; texts: string[];
}

export async function sampleCommand(o: SampleOptions, print: (s: string) => void): Promise<SampleSummary> {
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(o.checkpoint)));
  const backend = await createBackend(o.backend);
  try {
    const session = new SamplingSession(backend, ckpt);
    const frames: FrameSummary[] = [];
    const settings = { steps: o.steps, seed: o.seed, count: o.count, k: Math.min(o.k ?? 8, ckpt.config.vocab) };
    const run = await session.run(settings, o.trajectory ? (f) => { frames.push(f); } : undefined);
    if (o.trajectory) {
      const json = trajectoryJSON({ model: basename(o.checkpoint), backend: o.backend, length: ckpt.config.length, vocab: ckpt.config.vocab, ...settings }, session.pieces, frames, run);
      writeFileSync(o.trajectory, JSON.stringify(json));
    }
    const label = session.tokenizer ? '' : ' (no tokenizer in this checkpoint: token ids)';
    run.texts.forEach((t, i) => print(`--- sample ${i}${label} ---\n${t}`));
    return {
      steps: o.steps, seed: o.seed, count: o.count, backend: o.backend,
      ms_per_sample: run.msTotal / o.count, ms_per_step: run.msPerStep, tokens: run.tokens, texts: run.texts,
    };
  } finally {
    backend.destroy();
  }
}
