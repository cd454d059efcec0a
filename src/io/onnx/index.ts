/**
 * ONNX export of a checkpoint's DiT (docs/onnx.md): the graph of dit.ts with
 * the weights the studio samples with (the EMA when the checkpoint has one),
 * float32 or float16, and metadata_props a reader needs to use it:
 *
 *   flm.config      the DiTConfig as JSON (vocab, length, hidden, heads, blocks, cond, twoTime, softcap, …)
 *   flm.kind        flm | fmlm | flowmap | judge
 *   flm.tokenizer   the checkpoint's tokenizer JSON (absent when it has none)
 *   flm.inputs      what the inputs and the output are
 *   flm.weights     ema | raw;  flm.dtype  float32 | float16
 *   flm.name, flm.step
 *
 * plus any `metadata` the caller adds (the CLI adds `flm.time_map`, the
 * γ(t) table, computed by src/flm/, which this layer may not use).
 */
import type { DiTConfig } from '../../model/config.ts';
import { modelWeights } from '../../model/weights.ts';
import type { Checkpoint } from '../checkpoint.ts';
import { BATCH_DIM, ONNX_INPUTS, ONNX_OUTPUT, buildDiTGraph } from './dit.ts';
import { decodeModel, encodeModel, ONNX_IR_VERSION, ONNX_OPSET } from './graph.ts';

export { BATCH_DIM, ONNX_INPUTS, ONNX_OUTPUT, buildDiTGraph } from './dit.ts';
export { decodeModel, encodeModel, GraphBuilder, ONNX_IR_VERSION, ONNX_OPSET } from './graph.ts';
export { roundToHalfArray } from './half.ts';

export const ONNX_META = {
  config: 'flm.config', kind: 'flm.kind', tokenizer: 'flm.tokenizer', inputs: 'flm.inputs',
  weights: 'flm.weights', dtype: 'flm.dtype', name: 'flm.name', step: 'flm.step', timeMap: 'flm.time_map',
} as const;

export interface OnnxExportOptions {
  /** Store the weights as float16 (cast to float in the graph). */
  f16?: boolean;
  /** Which weights: the EMA when there is one (what the studio samples with, the default), or the raw ones. */
  weights?: 'sampling' | 'raw';
  /** Extra metadata_props (string values). */
  metadata?: Record<string, string>;
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** The weights the graph holds (before any float16 rounding). */
  weights: 'ema' | 'raw';
  nodes: number;
  initializers: number;
}

/** Points of the γ(t) table in `flm.time_map`: t = k/TIME_GRID, k = 0..TIME_GRID. */
export const TIME_GRID = 1024;

/**
 * `flm.time_map`: γ(t) of the time map (spec section 2) on a uniform t grid,
 * from `gamma` (the studio's TimeMap, src/flm/, which this layer may not
 * import). Exact at t = k/1024, so at every t_k = k/N for N dividing 1024.
 */
export function timeMapMetadata(vocab: number, gamma: (t: number) => number): string {
  return JSON.stringify({
    K: vocab, t: `k/${TIME_GRID}, k = 0..${TIME_GRID}`,
    gamma: Array.from({ length: TIME_GRID + 1 }, (_, k) => gamma(k / TIME_GRID)),
    about: 'gamma(t): the interpolation of x_gamma = (1 - gamma)*noise + gamma*onehot that model time t stands for; ' +
      't = alpha(gamma), alpha(gamma) = K/(K-1)*(E_z[Phi(z + gamma/(1-gamma))^(K-1)] - 1/K), inverted',
  });
}

/** The model's inputs in words (also written to the file as `flm.inputs`). */
export function describeInputs(cfg: DiTConfig): string {
  return `${ONNX_INPUTS.xt} float [${BATCH_DIM}, ${cfg.length}, ${cfg.vocab}]: the state x_t; ` +
    `${ONNX_INPUTS.t} float [${BATCH_DIM}]: model time t (γ = γ(t) by the time map)` +
    (cfg.twoTime ? `; ${ONNX_INPUTS.tPrime} float [${BATCH_DIM}]: the flow map's target time t'` : '') +
    ` → ${ONNX_OUTPUT} float [${BATCH_DIM}, ${cfg.length}, ${cfg.vocab}]`;
}

/** Export a checkpoint's DiT as an ONNX model. */
export function exportOnnx(ckpt: Checkpoint, opts: OnnxExportOptions = {}): OnnxExport {
  const useEma = opts.weights !== 'raw' && ckpt.ema !== undefined;
  const flat = opts.weights === 'raw' ? ckpt.params : modelWeights(ckpt);
  const g = buildDiTGraph(ckpt.config, flat, opts.f16 ?? false);
  const cfg = ckpt.config;
  const metadata: Record<string, string> = {
    [ONNX_META.config]: JSON.stringify(cfg),
    [ONNX_META.kind]: ckpt.meta.kind,
    ...(ckpt.meta.tokenizer ? { [ONNX_META.tokenizer]: JSON.stringify(ckpt.meta.tokenizer) } : {}),
    [ONNX_META.inputs]: describeInputs(cfg),
    [ONNX_META.weights]: useEma ? 'ema' : 'raw',
    [ONNX_META.dtype]: opts.f16 ? 'float16' : 'float32',
    [ONNX_META.name]: ckpt.meta.name,
    [ONNX_META.step]: String(ckpt.meta.step),
    ...opts.metadata,
  };
  const doc = `FLM Studio DiT (${ckpt.meta.kind}): ${describeInputs(cfg)}. Opset ${ONNX_OPSET}, IR ${ONNX_IR_VERSION}.`;
  const bytes = encodeModel(g.model('flm_dit', doc, metadata));
  return { bytes, weights: useEma ? 'ema' : 'raw', nodes: g.nodes.length, initializers: g.initializers.length };
}

/** An exported file's metadata_props. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const m = decodeModel(bytes);
  const out: Record<string, string> = {};
  for (const p of m.metadataProps) if (p.key) out[p.key] = p.value ?? '';
  return out;
}
