/**
 * `flm export-onnx <checkpoint> <out.onnx> [--f16] [--weights sampling|raw]`:
 * a checkpoint's DiT (FLM, FMLM, flow map; also the causal judge) as an ONNX
 * model (src/io/onnx/, docs/onnx.md), from any file the CLI opens
 * (safetensors, official Lightning .ckpt). The metadata carries the config,
 * the tokenizer and the time map's γ(t) table; the last line printed is one
 * JSON object.
 */
import { refuseOutputIsInput, writeFileAtomic } from './files.ts';
import { TimeMap } from '../flm/timeMap.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import {
  exportOnnx, ONNX_INPUTS, ONNX_IR_VERSION, ONNX_META, ONNX_OPSET, ONNX_OUTPUT, timeMapMetadata, type OnnxExport,
} from '../io/onnx/index.ts';
import { paramLayout } from '../model/layout.ts';
import { loadModelFile } from './modelFile.ts';

/** A checkpoint exported with the metadata the CLI adds (the time map). */
export function exportCheckpoint(ckpt: Checkpoint, opts: { f16?: boolean; weights?: 'sampling' | 'raw' } = {}): OnnxExport {
  const map = new TimeMap(ckpt.config.vocab);
  return exportOnnx(ckpt, { ...opts, metadata: { [ONNX_META.timeMap]: timeMapMetadata(ckpt.config.vocab, (t) => map.gamma(t)) } });
}

export interface ExportOnnxSummary {
  out: string; bytes: number; opset: number; ir_version: number;
  kind: string; weights: 'ema' | 'raw'; dtype: 'float32' | 'float16';
  inputs: string[]; output: string; vocab: number; length: number; parameters: number;
  nodes: number; initializers: number;
}

export function exportOnnxCommand(input: string, output: string, opts: { f16?: boolean; weights?: 'sampling' | 'raw' } = {}): ExportOnnxSummary {
  refuseOutputIsInput('export-onnx', input, output);
  const { checkpoint: ckpt } = loadModelFile(input);
  const r = exportCheckpoint(ckpt, opts);
  // Written whole or not at all, and never over a folder, a FIFO or a device.
  writeFileAtomic(output, r.bytes);
  const cfg = ckpt.config;
  return {
    out: output, bytes: r.bytes.length, opset: ONNX_OPSET, ir_version: ONNX_IR_VERSION,
    kind: ckpt.meta.kind, weights: r.weights, dtype: opts.f16 ? 'float16' : 'float32',
    inputs: [ONNX_INPUTS.xt, ONNX_INPUTS.t, ...(cfg.twoTime ? [ONNX_INPUTS.tPrime] : [])], output: ONNX_OUTPUT,
    vocab: cfg.vocab, length: cfg.length, parameters: paramLayout(cfg).count, nodes: r.nodes, initializers: r.initializers,
  };
}
