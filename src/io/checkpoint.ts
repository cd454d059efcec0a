/**
 * The checkpoint file: a `.safetensors` with the weights under the official
 * PyTorch state_dict names (so other tools can read them), the EMA under
 * `ema.*`, the Adam moments under `optim.m.*` / `optim.v.*`, the model config
 * in the official `__metadata__` keys, and everything else FLM Studio needs to
 * resume (step, tokenizer, data position, loss history…) as JSON in the
 * `flm_studio` metadata entry. Runs in pages, workers and Node.
 */
import { ropeInvFreq } from '../engine/reference/rope.ts';
import { configFromMetadata, configToMetadata, type DiTConfig } from '../model/config.ts';
import { paramLayout, type ParamLayout } from '../model/layout.ts';
import { readSafetensors, toFloat32, writeSafetensors, type StTensor } from './safetensors.ts';

export interface LossPoint { step: number; loss: number; valCe?: number; time?: number }

export interface CheckpointMeta {
  format: 'flm-studio';
  version: 1;
  kind: 'flm' | 'flowmap' | 'fmlm' | 'judge';
  name: string;
  createdAt: string;
  step: number;
  train?: Record<string, unknown>;
  tokenizer?: Record<string, unknown>;
  data?: Record<string, unknown>;
  rng?: Record<string, unknown>;
  lossHistory?: LossPoint[];
  extra?: Record<string, unknown>;
}

export interface Checkpoint {
  config: DiTConfig;
  meta: CheckpointMeta;
  params: Float32Array;
  ema?: Float32Array;
  adamM?: Float32Array;
  adamV?: Float32Array;
}

export type CheckpointErrorCode =
  | 'not-safetensors' | 'no-config' | 'missing-tensor' | 'extra-tensor' | 'shape-mismatch' | 'non-finite' | 'bad-meta' | 'too-large';

export class CheckpointError extends Error {
  constructor(readonly code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

const GROUPS = { ema: 'ema.', adamM: 'optim.m.', adamV: 'optim.v.' } as const;
const INV_FREQ = 'rotary_emb.inv_freq';
export const MAX_CHECKPOINT_BYTES = 2 * 2 ** 30;

function unflatten(layout: ParamLayout, flat: Float32Array, prefix: string, out: Record<string, StTensor>): void {
  for (const s of layout.specs) out[prefix + s.name] = { dtype: 'F32', shape: s.shape, data: flat.slice(s.offset, s.offset + s.size) };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const layout = paramLayout(c.config);
  const tensors: Record<string, StTensor> = {};
  unflatten(layout, c.params, '', tensors);
  const d = c.config.hidden / c.config.heads;
  tensors[INV_FREQ] = { dtype: 'F32', shape: [d / 2], data: ropeInvFreq(d) };
  if (c.ema) unflatten(layout, c.ema, GROUPS.ema, tensors);
  if (c.adamM) unflatten(layout, c.adamM, GROUPS.adamM, tensors);
  if (c.adamV) unflatten(layout, c.adamV, GROUPS.adamV, tensors);
  return writeSafetensors(tensors, { ...configToMetadata(c.config), flm_studio: JSON.stringify(c.meta) });
}

function defaultMeta(cfg: DiTConfig): CheckpointMeta {
  return { format: 'flm-studio', version: 1, kind: cfg.twoTime ? 'flowmap' : 'flm', name: 'imported', createdAt: new Date().toISOString(), step: 0 };
}

export function decodeCheckpoint(bytes: Uint8Array, opts: { maxBytes?: number; expect?: Partial<DiTConfig> } = {}): Checkpoint {
  const max = opts.maxBytes ?? MAX_CHECKPOINT_BYTES;
  if (bytes.length > max) throw new CheckpointError('too-large', `This file is ${(bytes.length / 2 ** 20).toFixed(0)} MB, over the ${(max / 2 ** 20).toFixed(0)} MB limit.`);
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError('not-safetensors', `This file is not a FLM checkpoint: ${(e as Error).message}`, { cause: e });
  }
  let config: DiTConfig;
  try {
    config = configFromMetadata(file.metadata);
  } catch (e) {
    throw new CheckpointError('no-config', `This file has no usable model description in its metadata: ${(e as Error).message}`, { cause: e });
  }
  for (const [k, v] of Object.entries(opts.expect ?? {})) {
    const have = (config as unknown as Record<string, unknown>)[k];
    if (have !== v) throw new CheckpointError('shape-mismatch', `This checkpoint has ${k} ${String(have)}, but ${String(v)} is needed here.`);
  }
  let meta = defaultMeta(config);
  if (file.metadata.flm_studio !== undefined) {
    try {
      const m = JSON.parse(file.metadata.flm_studio) as CheckpointMeta;
      if (m.format !== 'flm-studio' || typeof m.step !== 'number') throw new Error('unknown format');
      meta = m;
    } catch (e) {
      throw new CheckpointError('bad-meta', `The checkpoint's FLM Studio metadata is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }
  const layout = paramLayout(config);
  const used = new Set<string>();
  const group = (prefix: string, required: boolean): Float32Array | undefined => {
    const missing = layout.specs.filter((s) => !file.tensors.has(prefix + s.name)).map((s) => prefix + s.name);
    if (missing.length === layout.specs.length && !required) return undefined;
    if (missing.length) {
      throw new CheckpointError('missing-tensor', `This checkpoint lacks ${missing.length} tensor(s) the model needs, e.g. ${missing.slice(0, 3).join(', ')}.`);
    }
    const flat = new Float32Array(layout.total);
    for (const s of layout.specs) {
      const t = file.tensors.get(prefix + s.name)!;
      used.add(prefix + s.name);
      if (t.shape.join('×') !== s.shape.join('×')) {
        throw new CheckpointError('shape-mismatch', `Tensor ${prefix + s.name} has shape [${t.shape.join(', ')}], but the model described in the metadata needs [${s.shape.join(', ')}].`);
      }
      const data = toFloat32(t);
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) throw new CheckpointError('non-finite', `Tensor ${prefix + s.name} contains ${data[i]} (NaN or infinite weights): the checkpoint is damaged.`);
      }
      flat.set(data, s.offset);
    }
    return flat;
  };
  const params = group('', true)!;
  const ema = group(GROUPS.ema, false);
  const adamM = group(GROUPS.adamM, false);
  const adamV = group(GROUPS.adamV, false);
  const inv = file.tensors.get(INV_FREQ);
  if (inv) {
    used.add(INV_FREQ);
    const want = ropeInvFreq(config.hidden / config.heads), got = toFloat32(inv);
    const bad = got.length !== want.length || got.some((x, i) => Math.abs(x - want[i]) > 1e-6 * Math.max(1, Math.abs(want[i])));
    if (bad) throw new CheckpointError('shape-mismatch', `${INV_FREQ} does not match this model's rotary embedding (head size ${config.hidden / config.heads}).`);
  }
  const extra = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (extra.length) throw new CheckpointError('extra-tensor', `This checkpoint has ${extra.length} tensor(s) the model does not know, e.g. ${extra.slice(0, 3).join(', ')}: it was made for a different architecture.`);
  return { config, meta, params, ema, adamM, adamV };
}

export function checkpointSummary(c: Checkpoint): { kind: string; name: string; step: number; params: number; config: DiTConfig } {
  return { kind: c.meta.kind, name: c.meta.name, step: c.meta.step, params: paramLayout(c.config).count, config: c.config };
}
