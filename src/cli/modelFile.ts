/**
 * The one way the `flm` command opens a model file: a studio/official
 * `.safetensors` checkpoint, or an official PyTorch Lightning `.ckpt`
 * (recognised by its zip signature, or by its extension). Reads are bounded:
 * a safetensors file is size-checked before it is read; a `.ckpt` is read
 * piece by piece through its file descriptor (central directory, data.pkl,
 * then only the weight tensors used), never whole.
 *
 * Every failure to open or interpret the file is a ModelFileError with a
 * one-line message; `flm` prints it and exits 2.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { CheckpointError, decodeCheckpoint, MAX_CHECKPOINT_BYTES, type Checkpoint } from '../io/checkpoint.ts';
import { CkptError, looksLikeCkpt, readLightningCkpt, type ByteSource, type LightningInfo } from '../io/ckpt/index.ts';

export type ModelFileFormat = 'safetensors' | 'ckpt';

export class ModelFileError extends Error {
  constructor(
    message: string,
    readonly format: ModelFileFormat | null,
    /** A readable safetensors file that is not a model checkpoint (a fixture, say). */
    readonly notACheckpoint = false,
    options?: { cause?: unknown },
  ) {
    super(message.replace(/\s+/g, ' ').trim(), options);
    this.name = 'ModelFileError';
  }
}

export interface ModelFile {
  checkpoint: Checkpoint;
  format: ModelFileFormat;
  /** The file's size in bytes. */
  size: number;
  /** What an official Lightning checkpoint said about itself (for `.ckpt` only). */
  official?: LightningInfo;
}

/** A ByteSource reading a file descriptor (fresh, unpooled buffers). */
function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    },
  };
}

const stem = (path: string) => basename(path, extname(path));

/** Open a model file (see the module comment). */
export function loadModelFile(path: string): ModelFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ModelFileError(`cannot read ${path}: ${(e as Error).message}`, null, false, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ModelFileError(`${path} is not a file`, null);
    const size = st.size;
    const head = new Uint8Array(Math.min(9, size));
    readSync(fd, head, 0, head.length, 0);
    // The bytes decide; the extension only for files that look like neither (a legacy torch.save named .ckpt, say).
    const safetensorsLike = head.length === 9 && head[8] === 0x7b;
    if (looksLikeCkpt(head) || (extname(path).toLowerCase() === '.ckpt' && !safetensorsLike)) {
      let r;
      try {
        r = readLightningCkpt(fdSource(fd, size), { name: stem(path), createdAt: st.mtime.toISOString() });
      } catch (e) {
        if (e instanceof CkptError) throw new ModelFileError(`${path}: ${e.message}`, 'ckpt', false, { cause: e });
        throw e;
      }
      return { checkpoint: r.checkpoint, format: 'ckpt', size, official: r.info };
    }
    if (size > MAX_CHECKPOINT_BYTES) {
      throw new ModelFileError(`${path}: this file is ${(size / 2 ** 20).toFixed(0)} MB, more than the ${(MAX_CHECKPOINT_BYTES / 2 ** 20).toFixed(0)} MB a checkpoint may have here`, 'safetensors');
    }
    const bytes = new Uint8Array(readFileSync(fd));
    try {
      return { checkpoint: decodeCheckpoint(bytes), format: 'safetensors', size };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      throw new ModelFileError(`${path}: ${e.message}`, 'safetensors', e.code !== 'not-safetensors' && e.code !== 'too-large', { cause: e });
    }
  } finally {
    closeSync(fd);
  }
}

/** Lines describing what an official checkpoint held (for `flm inspect` and `flm convert`). */
export function officialLines(info: LightningInfo): string[] {
  const lines = [
    `official PyTorch Lightning checkpoint${info.lightningVersion ? ` (Lightning ${info.lightningVersion})` : ''}: ` +
      `${info.algo ? `algo ${info.algo}, ` : ''}${info.globalStep !== undefined ? `global step ${info.globalStep}, ` : ''}` +
      `state_dict ${info.modelKeys} model keys (prefix ${info.prefix}, ${info.stateDictDtypes.join('/')})` +
      `${info.ignoredKeys.length ? `, ${info.ignoredKeys.length} keys of no model left out (${summariseKeys(info.ignoredKeys)})` : ''}`,
    info.ema
      ? `EMA: ${info.ema.tensors} tensors${info.ema.decay !== undefined ? `, decay ${info.ema.decay}` : ''}${info.ema.numUpdates !== undefined ? `, ${info.ema.numUpdates} updates` : ''}; ` +
        (info.samplingWeights === 'ema' ? 'sampling uses the EMA weights' : 'the config says eval.disable_ema: sampling uses the raw weights')
      : 'no EMA: sampling uses the raw weights',
    `tokenizer: ${info.tokenizerName ?? 'unnamed'}${info.tokenizerClass ? ` (a pickled ${info.tokenizerClass}, not loaded)` : ''}; not bundled with the weights: samples print token ids`,
  ];
  const others = info.inertGlobals.filter((g) => g !== info.tokenizerClass);
  if (others.length) lines.push(`inert pickled objects (read as data, never constructed): ${others.slice(0, 6).join(', ')}${others.length > 6 ? ` and ${others.length - 6} more` : ''}`);
  return lines;
}

/** `teacher.* (43)` for a list of keys, grouped by their first component. */
function summariseKeys(keys: string[]): string {
  const groups = new Map<string, number>();
  for (const k of keys) {
    const g = `${k.split('.')[0]}.*`;
    groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  return [...groups].map(([g, n]) => `${g} ${n}`).join(', ');
}
