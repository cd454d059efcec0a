/**
 * The seam between the samplers and whatever computes the network's logits.
 * A sampler writes the state into `x` and the times into `t` (and `t'` for a
 * two-time model), asks for the logits, and does its own math on them
 * (softmax, Euler / flow-map / two-network update) on its backend.
 *
 * Two kinds of source:
 * - recorded: `forward()` records the DiT's ops on the sampler's backend, so
 *   the forward pass runs inside the sampler's compiled program (the studio's
 *   own DiT: one program per step, as on WebGPU);
 * - external: `forward()` records nothing and `compute()` fills `logits` from
 *   `x`, `t` and `t'` outside the backend's programs (e.g. an exported ONNX
 *   model on onnxruntime); the sampler awaits it between its programs.
 *
 * Either way the samplers, the noise and the update are the same code.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';

export interface LogitsSource {
  readonly cfg: DiTConfig;
  /** Inputs on the sampler's backend: x [B, L, V], t [B], t' [B] (two-time models; else null). */
  readonly x: Tensor;
  readonly t: Tensor;
  readonly tPrime: Tensor | null;
  /** Output logits [B·L, V] on the sampler's backend. */
  readonly logits: Tensor;
  /** Record the forward pass into the program being compiled (nothing for an external source). */
  forward(): void;
  /** An external source: compute `logits` from the inputs' current values (awaited before the sampler's program runs). */
  compute?(): Promise<void>;
  /** Give the source's own tensors back (shared weights stay). */
  release(): void;
}

/** Whether a sampler's network argument is a logits source rather than a flat weight tensor. */
export function isLogitsSource(x: Tensor | LogitsSource): x is LogitsSource {
  return 'forward' in x && typeof x.forward === 'function';
}

/**
 * The network for a sampler: the given source, or the studio's own DiT on
 * `backend` over a flat parameter tensor (shared, not copied).
 */
export function networkOf(backend: Backend, config: DiTConfig, count: number, net: Tensor | LogitsSource): LogitsSource {
  if (!isLogitsSource(net)) return new DiT(backend, config, count, { params: net, inference: true });
  if (net.cfg.vocab !== config.vocab || net.cfg.length !== config.length || net.cfg.twoTime !== config.twoTime) {
    throw new Error(`the logits source is for another model (V ${net.cfg.vocab}, L ${net.cfg.length}${net.cfg.twoTime ? ', two-time' : ''})`);
  }
  if (net.x.size !== count * config.length * config.vocab || net.t.size !== count) {
    throw new RangeError(`the logits source holds ${net.t.size} sequences, the sampler draws ${count}`);
  }
  return net;
}

/** Run a step's program after the network's logits are there (external sources are awaited first). */
export function afterLogits(net: LogitsSource, run: () => void): void | Promise<void> {
  if (!net.compute) { run(); return; }
  return net.compute().then(run);
}

/**
 * Logits sources on demand: what a sampling session asks for when something
 * other than the studio's DiT computes the network (e.g. an exported ONNX
 * model on onnxruntime). `source` is called once per sampler (sample count);
 * the sampler owns what it returns.
 */
export interface LogitsProvider {
  /** Who computes the logits, for people (e.g. 'onnxruntime-web (wasm, 1 thread)'). */
  readonly runtime: string;
  /** The network for `count` sequences on `backend`: the model's, or (two-network sampler) its FLM teacher's. */
  source(backend: Backend, count: number, which: 'model' | 'teacher'): LogitsSource;
}
