/**
 * The checkpoint file: a `.safetensors` with the weights under the official
 * PyTorch state_dict names (so other tools can read them), the EMA under
 * `ema.*`, the Adam moments under `optim.m.*` / `optim.v.*`, the model config
 * in the official `__metadata__` keys, and everything else FLM Studio needs to
 * resume (step, tokenizer, data position, loss history…) as JSON in the
 * `flm_studio` metadata entry. An official checkpoint (weights and config
 * only) decodes too, with a default meta. Runs in pages, workers and Node.
 */
import { toBfloat16Array, toHalfArray } from '../engine/host/half.ts';
import { ropeInvFreq } from '../engine/host/rope.ts';
import { configFromMetadata, configToMetadata, type DiTConfig } from '../model/config.ts';
import { paramLayout, type ParamLayout, type ParamSpec } from '../model/layout.ts';
import { defaultKind, META_VERSION, MetaError, parseMeta, type CheckpointMeta, type ModelKind } from './meta.ts';
import { readSafetensors, toFloat32, writeSafetensors, type StFile, type StTensor } from './safetensors.ts';

export type { CheckpointMeta, LossPoint, ModelKind } from './meta.ts';

export interface Checkpoint {
  config: DiTConfig;
  meta: CheckpointMeta;
  /** Flat, laid out by paramLayout(config) (padding zero). */
  params: Float32Array;
  /** Same layout as params. */
  ema?: Float32Array;
  adamM?: Float32Array;
  adamV?: Float32Array;
}

export type CheckpointErrorCode =
  | 'not-safetensors' | 'no-config' | 'missing-tensor' | 'extra-tensor' | 'shape-mismatch' | 'non-finite' | 'bad-meta' | 'too-large';

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.code = code;
  }
}

/** Metadata key of the FLM Studio JSON. */
export const META_KEY = 'flm_studio';
/** Name of the official rotary buffer (not trainable; written for compatibility). */
export const INV_FREQ = 'rotary_emb.inv_freq';
/** Default upper bound on the size of a file `decodeCheckpoint` accepts. */
export const MAX_CHECKPOINT_BYTES = 2 * 2 ** 30;

type Group = 'params' | 'ema' | 'adamM' | 'adamV';
const PREFIX: Record<Group, string> = { params: '', ema: 'ema.', adamM: 'optim.m.', adamV: 'optim.v.' };
const GROUP_WORDS: Record<Group, string> = {
  params: 'weights', ema: 'EMA weights', adamM: 'Adam first moments', adamV: 'Adam second moments',
};
const NOT_CKPT = 'This file is not a FLM checkpoint';

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const mb = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MB`;

// ---------------------------------------------------------------- encoding

/**
 * A checkpoint never holds a non-finite value (nor a negative Adam second
 * moment): saving one would replace a good file with one that cannot be
 * resumed. Throws CheckpointError('non-finite') naming the first bad tensor.
 */
function checkFinite(flat: Float32Array, layout: ParamLayout, g: Group): void {
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (Number.isFinite(v) && !(g === 'adamV' && v < 0)) continue;
    const spec = layout.specs.find((s) => i >= s.offset && i < s.offset + s.size);
    if (!spec) continue; // alignment padding is never read
    throw new CheckpointError(
      'non-finite',
      `Not saved: ${GROUP_WORDS[g]} tensor ${PREFIX[g] + spec.name} holds ${v}${g === 'adamV' && v < 0 ? ' (a second moment must not be negative)' : ''}; the training has diverged, and the last good checkpoint is kept.`,
    );
  }
}

/** How a checkpoint's weights are stored: float32, or float16 / bfloat16 for bundled models (the reader widens them). */
export type WeightDtype = 'F32' | 'F16' | 'BF16';

/** One tensor's data in `dtype`; a finite weight that float16 cannot hold is refused (CheckpointError 'non-finite'). */
function storedAs(data: Float32Array, dtype: WeightDtype, name: string): Float32Array | Uint16Array {
  if (dtype === 'F32') return data;
  if (dtype === 'BF16') return toBfloat16Array(data);
  try {
    return toHalfArray(data, `tensor ${name}`, 'store the weights as bfloat16 or float32');
  } catch (e) {
    throw new CheckpointError('non-finite', `Not saved: ${(e as Error).message}.`, { cause: e });
  }
}

/**
 * Serialise a checkpoint into `.safetensors` bytes, its weights as `dtype`
 * (default float32; the rotary frequencies stay float32); refuses
 * non-finite values (CheckpointError 'non-finite').
 */
export function encodeCheckpoint(c: Checkpoint, dtype: WeightDtype = 'F32'): Uint8Array {
  const layout = paramLayout(c.config);
  const tensors = new Map<string, StTensor>();
  for (const g of ['params', 'ema', 'adamM', 'adamV'] as const) {
    const flat = c[g];
    if (flat === undefined) continue;
    if (!(flat instanceof Float32Array) || flat.length !== layout.total) {
      throw new RangeError(
        `encodeCheckpoint: ${g} must be a Float32Array of ${layout.total} floats (paramLayout of the config), got ${
          flat instanceof Float32Array ? flat.length : typeof flat
        }`,
      );
    }
    checkFinite(flat, layout, g);
    for (const s of layout.specs) {
      const name = PREFIX[g] + s.name;
      tensors.set(name, { dtype, shape: s.shape.slice(), data: storedAs(flat.subarray(s.offset, s.offset + s.size), dtype, name) });
    }
  }
  const d = c.config.hidden / c.config.heads;
  tensors.set(INV_FREQ, { dtype: 'F32', shape: [d / 2], data: ropeInvFreq(d) });
  return writeSafetensors(tensors, { ...configToMetadata(c.config), [META_KEY]: JSON.stringify(c.meta) });
}

// ---------------------------------------------------------------- decoding

/** The meta an official (non-FLM-Studio) checkpoint gets. */
export function defaultMeta(cfg: DiTConfig): CheckpointMeta {
  return {
    format: 'flm-studio', version: META_VERSION, kind: defaultKind(cfg.twoTime),
    name: 'imported', createdAt: new Date().toISOString(), step: 0,
  };
}

/** A model kind must agree with the model: flow maps and FMLMs have two time inputs, FLMs and judges one; judges are causal. */
function checkKind(kind: ModelKind, cfg: DiTConfig): void {
  const twoTime = kind === 'flowmap' || kind === 'fmlm';
  const why = cfg.twoTime !== twoTime
    ? `it says the model is a ${kind}, but the model in its metadata is a ${cfg.twoTime ? 'two-time' : 'one-time'} DiT`
    : (kind === 'judge') !== Boolean(cfg.causal)
      ? `it says the model is a ${kind}, but the model in its metadata is ${cfg.causal ? 'causal' : 'not causal'}`
      : null;
  if (why) throw new CheckpointError('bad-meta', `The FLM Studio information in this checkpoint is damaged: ${why}.`);
}

function decodeMeta(text: string, cfg: DiTConfig): CheckpointMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('bad-meta', `The FLM Studio information in this checkpoint is damaged: it is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  const version = typeof raw === 'object' && raw !== null && 'version' in raw ? raw.version : undefined;
  if (typeof version === 'number' && version > META_VERSION) {
    throw new CheckpointError('bad-meta', `This checkpoint was written by a newer FLM Studio (format version ${version}); update FLM Studio to open it.`);
  }
  try {
    return parseMeta(raw, cfg.twoTime);
  } catch (e) {
    if (!(e instanceof MetaError)) throw e;
    throw new CheckpointError('bad-meta', `The FLM Studio information in this checkpoint is damaged: ${e.message}.`, { cause: e });
  }
}

const FRIENDLY: Partial<Record<keyof DiTConfig, string>> = {
  vocab: 'vocab', length: 'sequence length', hidden: 'hidden size', heads: 'attention heads', blocks: 'blocks',
  cond: 'conditioning size', twoTime: 'two-time (flow-map) head', lossWeighting: 'learnable loss weighting',
  softcap: 'attention softcap', mlpRatio: 'MLP ratio',
};

function checkExpect(cfg: DiTConfig, expect: Partial<DiTConfig> | undefined): void {
  if (!expect) return;
  for (const [k, want] of Object.entries(expect) as [keyof DiTConfig, unknown][]) {
    if (want === undefined) continue;
    const have = cfg[k];
    if (have === want) continue;
    const word = FRIENDLY[k] ?? k;
    const hint = k === 'vocab' ? ' (it was trained with a different tokenizer or corpus)' : '';
    throw new CheckpointError(
      'shape-mismatch',
      `This checkpoint has ${word} ${String(have)} but ${String(want)} is needed here${hint}, so it cannot be used with the current setup.`,
    );
  }
}

/**
 * The tensors `prefix + name` of every parameter in `layout`, checked (all
 * present, the layout's shapes, floating-point, finite) and laid out flat in
 * one array: how checkpoints, their EMA and moments, and the official
 * fixtures are read. `what` names the group in messages ("weights").
 */
export function layoutWeights(file: StFile, layout: ParamLayout, prefix = '', what = 'weights', used?: Set<string>): Float32Array {
  const present: [ParamSpec, StTensor][] = [];
  const missing: string[] = [];
  for (const s of layout.specs) {
    const t = file.tensors.get(prefix + s.name);
    if (t) present.push([s, t]);
    else missing.push(prefix + s.name);
  }
  if (missing.length > 0) {
    const first = missing.slice(0, 3).join(', ');
    const more = missing.length > 3 ? ` and ${missing.length - 3} more` : '';
    const partial = present.length > 0 && what !== 'weights' ? ` (the ${what} are incomplete)` : '';
    throw new CheckpointError(
      'missing-tensor',
      `This checkpoint is incomplete: ${missing.length} of the ${layout.specs.length} ${what} tensors the model needs are missing${partial}: ${first}${more}.`,
    );
  }
  // Shapes first, so that a metadata config that disagrees with the tensors
  // is reported before anything the size of the model is allocated.
  for (const [s, t] of present) {
    if (!sameShape(t.shape, s.shape)) {
      throw new CheckpointError(
        'shape-mismatch',
        `Tensor ${prefix + s.name} has shape ${fmtShape(t.shape)} in the file, but the model described in its metadata needs ${fmtShape(s.shape)}.`,
      );
    }
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') {
      throw new CheckpointError('shape-mismatch', `Tensor ${prefix + s.name} holds ${t.dtype} values; model weights must be floating-point numbers (F32, F16, BF16 or F64).`);
    }
  }
  const flat = new Float32Array(layout.total);
  for (const [s, t] of present) {
    const data = toFloat32(t);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new CheckpointError(
          'non-finite',
          `Tensor ${prefix + s.name} contains ${data[i]} (not-a-number or infinite ${what}): the checkpoint is damaged, probably saved after training diverged.`,
        );
      }
    }
    flat.set(data, s.offset);
    used?.add(prefix + s.name);
  }
  return flat;
}

/** All tensors of one group, checked: undefined if the (optional) group is wholly absent. */
function readGroup(file: StFile, layout: ParamLayout, g: Group, used: Set<string>): Float32Array | undefined {
  const prefix = PREFIX[g];
  if (g !== 'params' && !layout.specs.some((s) => file.tensors.has(prefix + s.name))) return undefined;
  const flat = layoutWeights(file, layout, prefix, GROUP_WORDS[g], used);
  if (g === 'adamV') {
    const i = flat.findIndex((v) => v < 0);
    const spec = i < 0 ? undefined : layout.specs.find((s) => i >= s.offset && i < s.offset + s.size);
    if (spec) {
      throw new CheckpointError('non-finite', `Tensor ${prefix + spec.name} holds ${flat[i]}: an Adam second moment is never negative, so the checkpoint is damaged and its training cannot be resumed.`);
    }
  }
  return flat;
}

/**
 * Check a rotary `inv_freq` buffer against the frequencies of head size
 * `headDim` (FLM Studio supports only the reference base).
 */
export function checkInvFreq(name: string, inv: StTensor, headDim: number): void {
  const want = ropeInvFreq(headDim);
  if (!sameShape(inv.shape, [want.length])) {
    throw new CheckpointError('shape-mismatch', `Tensor ${name} has shape ${fmtShape(inv.shape)}, but head size ${headDim} needs [${want.length}].`);
  }
  const got = toFloat32(inv);
  const i = want.findIndex((w, j) => !(Math.abs(got[j] - w) <= 1e-6 * Math.abs(w)));
  if (i >= 0) {
    throw new CheckpointError(
      'shape-mismatch',
      `Tensor ${name} holds ${got[i]} at index ${i} where the rotary position embedding of this model has ${want[i]}: it uses a different rotary base, which FLM Studio does not support.`,
    );
  }
}

/**
 * Parse and validate `.safetensors` checkpoint bytes. Throws CheckpointError
 * with a message meant for the person who picked the file.
 */
export function decodeCheckpoint(bytes: Uint8Array, opts: { maxBytes?: number; expect?: Partial<DiTConfig> } = {}): Checkpoint {
  const max = opts.maxBytes ?? MAX_CHECKPOINT_BYTES;
  if (bytes.length > max) {
    throw new CheckpointError('too-large', `This file is ${mb(bytes.length)}, more than the ${mb(max)} a checkpoint may have here.`);
  }
  let file: StFile;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError('not-safetensors', `${NOT_CKPT}: it is not a readable .safetensors file (${(e as Error).message}).`, { cause: e });
  }
  if (file.tensors.size === 0) throw new CheckpointError('missing-tensor', `${NOT_CKPT}: it contains no tensors at all.`);

  let config: DiTConfig;
  try {
    config = configFromMetadata(file.metadata);
  } catch (e) {
    throw new CheckpointError(
      'no-config',
      `${NOT_CKPT}: its metadata does not describe the model (${(e as Error).message}). FLM checkpoints carry vocab, length, hidden_size, cond_dim, n_heads and n_blocks.`,
      { cause: e },
    );
  }
  checkExpect(config, opts.expect);

  const meta = file.metadata[META_KEY] !== undefined ? decodeMeta(file.metadata[META_KEY], config) : defaultMeta(config);
  checkKind(meta.kind, config);

  const layout = paramLayout(config);
  const used = new Set<string>();
  const params = readGroup(file, layout, 'params', used)!;
  const ema = readGroup(file, layout, 'ema', used);
  const adamM = readGroup(file, layout, 'adamM', used);
  const adamV = readGroup(file, layout, 'adamV', used);

  const inv = file.tensors.get(INV_FREQ);
  if (inv) {
    used.add(INV_FREQ);
    checkInvFreq(INV_FREQ, inv, config.hidden / config.heads);
  }

  const extra = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) {
    const more = extra.length > 3 ? ` and ${extra.length - 3} more` : '';
    throw new CheckpointError(
      'extra-tensor',
      `This checkpoint has ${extra.length} tensor(s) the model described in its metadata does not have (${extra.slice(0, 3).join(', ')}${more}): it was made for a different architecture.`,
    );
  }
  const out: Checkpoint = { config, meta, params };
  if (ema) out.ema = ema;
  if (adamM) out.adamM = adamM;
  if (adamV) out.adamV = adamV;
  return out;
}

// ---------------------------------------------------------------- summary

export interface CheckpointSummary {
  kind: ModelKind;
  name: string;
  step: number;
  /** Trainable parameters (padding excluded). */
  params: number;
  /** Bytes of tensor data the encoded file holds (weights, EMA, moments; header excluded). */
  bytes?: number;
  config: DiTConfig;
}

export function checkpointSummary(c: Checkpoint): CheckpointSummary {
  const layout = paramLayout(c.config);
  const groups = 1 + (c.ema ? 1 : 0) + (c.adamM ? 1 : 0) + (c.adamV ? 1 : 0);
  const invFreq = c.config.hidden / c.config.heads / 2;
  return {
    kind: c.meta.kind, name: c.meta.name, step: c.meta.step,
    params: layout.count, bytes: 4 * (groups * layout.count + invFreq), config: c.config,
  };
}
