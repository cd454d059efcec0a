/**
 * `flm sample --checkpoint <file> --steps N --seed S [--count n] [--backend auto|wasm|webgpu|cpu] [--threads n] [--trajectory out.json] [--k K] [--teacher <flm>]`:
 * samples with the checkpoint's EMA weights (its raw weights when it has no
 * EMA): an FLM with N Euler steps (spec section 5), an FMLM with N steps of
 * the one-network flow-map sampler (N = 1: one-step generation, section 7),
 * a stage-1 flow map with the two-network sampler and its `--teacher`
 * (section 6); through the same SamplingSession as the studio's sampling worker. Prints each sample's text, then one JSON line
 * with the tokens. `--trajectory` also writes every frame's summary (the
 * studio's "Export JSON" format).
 */
import { basename } from 'node:path';
import type { FrameSummary } from '../sampling/frames.ts';
import { SAMPLER_NAMES, SamplingSession } from '../sampling/session.ts';
import { trajectoryJSON } from '../sampling/trajectory.ts';
import { createBackend, type BackendChoice, type BackendName } from './backend.ts';
import type { DiTConfig } from '../model/config.ts';
import { loadModelFile } from './modelFile.ts';
import { exportCheckpoint } from './exportOnnx.ts';
import { openOnnxModel } from './onnxRuntime.ts';
import { onnxLogitsProvider, type OnnxModel } from '../sampling/onnxLogits.ts';
import { readOnnxMetadata, ONNX_META } from '../io/onnx/index.ts';
import { checkSamplingMemory } from './checks.ts';
import { readRegular, writeFileAtomic } from './files.ts';

/** The largest --onnx file read (checked before reading). */
const MAX_ONNX_BYTES = 2 * 2 ** 30;

export interface SampleOptions {
  checkpoint: string; steps: number; seed: number; count: number; backend: BackendChoice; threads?: number;
  trajectory?: string; k?: number; teacher?: string;
  /** 'onnx': the network runs as the exported ONNX model on onnxruntime-node (the rest is the studio's math on the CPU backend). */
  runtime?: SampleRuntime;
  /** With runtime 'onnx': this exported file instead of exporting the checkpoint in memory. */
  onnx?: string;
}

export type SampleRuntime = 'studio' | 'onnx';

export interface SampleSummary {
  steps: number; seed: number; count: number; backend: BackendName;
  ms_per_sample: number; ms_per_step: number; sampler: string; tokens: number[][]; texts: string[];
  /** Who computed the logits: the studio's backend, or onnxruntime-node on the exported model. */
  runtime: 'studio' | 'onnxruntime-node';
}

export async function sampleCommand(o: SampleOptions, print: (s: string) => void): Promise<SampleSummary> {
  const file = loadModelFile(o.checkpoint);
  const ckpt = file.checkpoint;
  checkSamplingMemory(ckpt.config, o.count, o.checkpoint);
  const onnx = o.runtime === 'onnx';
  // With onnxruntime the network runs there; the CPU reference backend does the math around it.
  const backend = await createBackend(onnx ? 'cpu' : o.backend, { threads: o.threads }, (s) => console.error(s));
  const networks: OnnxModel[] = [];
  try {
    const teacher = o.teacher ? loadModelFile(o.teacher).checkpoint : undefined;
    if (teacher) checkSamplingMemory(teacher.config, o.count, o.teacher!);
    let logits;
    if (onnx) {
      // The same session and samplers; only the network's logits come from onnxruntime-node.
      const bytes = o.onnx ? onnxFileFor(o.onnx, ckpt.config) : exportCheckpoint(ckpt).bytes;
      const net = await openOnnxModel(bytes, ckpt.config);
      networks.push(net);
      const f = teacher ? await openOnnxModel(exportCheckpoint(teacher).bytes, teacher.config) : null;
      if (f) networks.push(f);
      logits = onnxLogitsProvider('onnxruntime-node', net, f);
    }
    const session = new SamplingSession(backend, ckpt, { teacher, logits });
    const frames: FrameSummary[] = [];
    const settings = { steps: o.steps, seed: o.seed, count: o.count, k: Math.min(o.k ?? 8, ckpt.config.vocab) };
    const onFrame = o.trajectory ? (f: FrameSummary) => { frames.push(f); } : undefined;
    const run = await session.run(settings, onFrame);
    if (o.trajectory) {
      const json = trajectoryJSON({ model: basename(o.checkpoint), backend: onnx ? 'onnxruntime-node' : backend.name, length: ckpt.config.length, vocab: ckpt.config.vocab, ...settings }, session.pieces, frames, run);
      writeFileAtomic(o.trajectory, new TextEncoder().encode(JSON.stringify(json)));
    }
    const named = file.official?.tokenizerName;
    const label = session.tokenizer ? '' : named
      ? ` (the ${named} tokenizer is not bundled with this checkpoint: token ids)`
      : ' (no tokenizer in this checkpoint: token ids)';
    run.texts.forEach((t, i) => print(`--- sample ${i}${label} ---\n${t}`));
    return {
      steps: o.steps, seed: o.seed, count: o.count, backend: backend.name,
      ms_per_sample: run.msTotal / o.count, ms_per_step: run.msPerStep, sampler: SAMPLER_NAMES[session.kind], tokens: run.tokens, texts: run.texts,
      runtime: onnx ? 'onnxruntime-node' : 'studio',
    };
  } finally {
    for (const n of networks) await n.release();
    backend.destroy();
  }
}

/** An exported .onnx file for `--onnx`: it must be the checkpoint's model (same config in its metadata). */
function onnxFileFor(path: string, cfg: DiTConfig): Uint8Array {
  const bytes = readRegular(path, 'ONNX model', MAX_ONNX_BYTES);
  let meta: Record<string, string>;
  try {
    meta = readOnnxMetadata(bytes);
  } catch (e) {
    throw new Error(`${path} is not an ONNX model: ${(e as Error).message}`, { cause: e });
  }
  const theirs = meta[ONNX_META.config];
  if (!theirs) throw new Error(`${path} has no ${ONNX_META.config} metadata: not exported by FLM Studio`);
  const key = (c: DiTConfig) => JSON.stringify([c.vocab, c.length, c.hidden, c.heads, c.blocks, c.cond, c.twoTime, c.softcap, c.mlpRatio, Boolean(c.causal)]);
  if (key(JSON.parse(theirs) as DiTConfig) !== key(cfg)) throw new Error(`${path} holds another model than the checkpoint (its config: ${theirs})`);
  return bytes;
}
