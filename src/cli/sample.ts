/**
 * `flm sample --checkpoint <file> --steps N --seed S [--count n] [--backend cpu|webgpu]`:
 * Euler sampling (spec section 5) with the checkpoint's EMA weights (its raw
 * weights when it has no EMA). Prints each sample's text, then one JSON line
 * with the tokens.
 */
import { readFileSync } from 'node:fs';
import { tokenizerFromJSON, type TokenizerJSON } from '../data/tokenizer.ts';
import { EulerSampler } from '../flm/sampler.ts';
import { decodeCheckpoint } from '../io/checkpoint.ts';
import { createBackend, type BackendName } from './backend.ts';

export interface SampleOptions { checkpoint: string; steps: number; seed: number; count: number; backend: BackendName }

export interface SampleSummary { steps: number; seed: number; count: number; backend: BackendName; ms_per_sample: number; tokens: number[][]; texts?: string[] }

export async function sampleCommand(o: SampleOptions, print: (s: string) => void): Promise<SampleSummary> {
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(o.checkpoint)));
  if (ckpt.config.twoTime) throw new Error('this is a two-time (flow-map) checkpoint; sampling it needs the distillation samplers');
  const tokenizer = ckpt.meta.tokenizer ? tokenizerFromJSON(ckpt.meta.tokenizer as unknown as TokenizerJSON) : null;
  const backend = await createBackend(o.backend);
  const weights = backend.tensor(ckpt.params.length, 'weights');
  backend.write(weights, ckpt.ema ?? ckpt.params);
  const sampler = new EulerSampler(backend, ckpt.config, o.count, weights);
  const t0 = performance.now();
  const { tokens } = await sampler.sample(o.steps, o.seed);
  const ms = performance.now() - t0;
  const L = ckpt.config.length;
  const rows = Array.from({ length: o.count }, (_, i) => Array.from(tokens.subarray(i * L, (i + 1) * L)));
  const texts = tokenizer ? rows.map((r) => tokenizer.decode(r)) : undefined;
  rows.forEach((r, i) => print(texts ? `--- sample ${i} ---\n${texts[i]}` : `--- sample ${i} (no tokenizer in this checkpoint) ---\n${r.join(' ')}`));
  backend.destroy();
  return { steps: o.steps, seed: o.seed, count: o.count, backend: o.backend, ms_per_sample: ms / o.count, tokens: rows, texts };
}
