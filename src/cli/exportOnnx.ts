/**
 * `flm export-onnx <checkpoint> <out.onnx> [--f16] [--weights sampling|raw]`:
 * a checkpoint's DiT (FLM, FMLM, flow map; also the causal judge) as an ONNX
 * model (src/io/onnx/, docs/onnx.md), from any file the CLI opens
 * (safetensors, official Lightning .ckpt). The metadata carries the config,
 * the tokenizer and the time map's γ(t) table; the last line printed is one
 * JSON object.
 */
import { writeFileSync } from 'node:fs';
import { TimeMap } from '../flm/timeMap.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { exportOnnx, ONNX_INPUTS, ONNX_IR_VERSION, ONNX_META, ONNX_OPSET, ONNX_OUTPUT, type OnnxExport } from '../io/onnx/index.ts';
import { paramLayout } from '../model/layout.ts';
import { loadModelFile } from './modelFile.ts';

/** Points of the γ(t) table in the metadata: t = k/TIME_GRID, k = 0..TIME_GRID. */
export const TIME_GRID = 1024;

/**
 * `flm.time_map`: γ(t) of the studio's time map (spec section 2) on a uniform
 * t grid. Exact at t = k/1024, so at every t_k = k/N for N dividing 1024;
 * a reader interpolates linearly elsewhere.
 */
export function timeMapMetadata(vocab: number, map = new TimeMap(vocab)): string {
  const gamma = Array.from({ length: TIME_GRID + 1 }, (_, k) => map.gamma(k / TIME_GRID));
  return JSON.stringify({
    K: vocab, t: `k/${TIME_GRID}, k = 0..${TIME_GRID}`, gamma,
    about: 'gamma(t): the interpolation of x_gamma = (1 - gamma)*noise + gamma*onehot that model time t stands for; ' +
      't = alpha(gamma), alpha(gamma) = K/(K-1)*(E_z[Phi(z + gamma/(1-gamma))^(K-1)] - 1/K), inverted',
  });
}

/** A checkpoint exported with the metadata the CLI adds (the time map). */
export function exportCheckpoint(ckpt: Checkpoint, opts: { f16?: boolean; weights?: 'sampling' | 'raw' } = {}): OnnxExport {
  return exportOnnx(ckpt, { ...opts, metadata: { [ONNX_META.timeMap]: timeMapMetadata(ckpt.config.vocab) } });
}

export interface ExportOnnxSummary {
  out: string; bytes: number; opset: number; ir_version: number;
  kind: string; weights: 'ema' | 'raw'; dtype: 'float32' | 'float16';
  inputs: string[]; output: string; vocab: number; length: number; parameters: number;
  nodes: number; initializers: number;
}

export function exportOnnxCommand(input: string, output: string, opts: { f16?: boolean; weights?: 'sampling' | 'raw' } = {}): ExportOnnxSummary {
  const { checkpoint: ckpt } = loadModelFile(input);
  const r = exportCheckpoint(ckpt, opts);
  writeFileSync(output, r.bytes);
  const cfg = ckpt.config;
  return {
    out: output, bytes: r.bytes.length, opset: ONNX_OPSET, ir_version: ONNX_IR_VERSION,
    kind: ckpt.meta.kind, weights: r.weights, dtype: opts.f16 ? 'float16' : 'float32',
    inputs: [ONNX_INPUTS.xt, ONNX_INPUTS.t, ...(cfg.twoTime ? [ONNX_INPUTS.tPrime] : [])], output: ONNX_OUTPUT,
    vocab: cfg.vocab, length: cfg.length, parameters: paramLayout(cfg).count, nodes: r.nodes, initializers: r.initializers,
  };
}
