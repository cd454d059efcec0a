/**
 * `flm convert <in.ckpt> <out.safetensors>`: an official PyTorch Lightning
 * checkpoint (or any model file `loadModelFile` opens) written as a studio
 * checkpoint: the raw weights under the official names, the EMA under
 * `ema.*`, the config in the official metadata keys and the studio's meta;
 * for a `.ckpt`, where it came from in `official_*` metadata keys (the
 * tokenizer's name, the algorithm, the global step, the EMA decay). The file
 * is written next to its destination and renamed into place, so a crash
 * leaves no half-written checkpoint.
 */
import { encodeCheckpoint } from '../io/checkpoint.ts';
import type { LightningInfo } from '../io/ckpt/index.ts';
import { paramLayout } from '../model/layout.ts';
import { refuseOutputIsInput } from './files.ts';
import { loadModelFile, writeModelFile, type ModelFileFormat } from './modelFile.ts';

export interface ConvertSummary {
  in: string;
  out: string;
  from: ModelFileFormat;
  kind: string;
  params: number;
  /** Which weights samplers will use: the EMA, or the raw weights. */
  weights: 'ema' | 'state_dict';
  tokenizer: string | null;
  bytes: number;
}

/** The `official_*` metadata of a converted `.ckpt`. */
function originMetadata(info: LightningInfo): Record<string, string> {
  const m: Record<string, string> = { official_format: 'pytorch-lightning' };
  if (info.lightningVersion) m.official_lightning_version = info.lightningVersion;
  if (info.algo) m.official_algo = info.algo;
  if (info.globalStep !== undefined) m.official_global_step = String(info.globalStep);
  if (info.tokenizerName) m.official_tokenizer = info.tokenizerName;
  if (info.ema?.decay !== undefined) m.official_ema_decay = String(info.ema.decay);
  m.official_state_dict_dtype = info.stateDictDtypes.join('/');
  return m;
}

/** Add string metadata to encoded safetensors bytes (the header is rewritten; the data is copied once). */
function withMetadata(bytes: Uint8Array, extra: Record<string, string>): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  header.__metadata__ = { ...(header.__metadata__ as Record<string, string> | undefined), ...extra };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const data = bytes.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, json.length % 2 ** 32, true);
  ov.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export function convertCommand(input: string, output: string): ConvertSummary {
  refuseOutputIsInput('convert', input, output);
  const file = loadModelFile(input);
  const c = file.checkpoint;
  let bytes = encodeCheckpoint(c);
  if (file.official) bytes = withMetadata(bytes, originMetadata(file.official));
  writeModelFile(output, bytes);
  return {
    in: input, out: output, from: file.format, kind: c.meta.kind, params: paramLayout(c.config).count,
    weights: c.ema ? 'ema' : 'state_dict', tokenizer: file.official?.tokenizerName ?? null, bytes: bytes.length,
  };
}
