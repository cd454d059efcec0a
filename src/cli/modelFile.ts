/**
 * The one way the `flm` command opens a model file: a studio/official
 * `.safetensors` checkpoint, or an official PyTorch Lightning `.ckpt`
 * (recognised by its zip signature, or by its extension). Reads are bounded:
 * the file is opened without blocking and must be a regular file (fstat, before
 * any read: not a device, a FIFO or a folder); a safetensors file is
 * size-checked, then its header alone is read and must describe exactly the
 * bytes that follow it, and only then is the file read, once, into one buffer;
 * a `.ckpt` is read piece by piece through its file descriptor (central
 * directory, data.pkl, then only the weight tensors used), never whole.
 *
 * Every failure to open or interpret the file is a ModelFileError with a
 * one-line message; `flm` prints it and exits 2.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { CheckpointError, decodeCheckpoint, MAX_CHECKPOINT_BYTES, type Checkpoint } from '../io/checkpoint.ts';
import { CkptError, looksLikeCkpt, readLightningCkpt, type ByteSource, type LightningInfo } from '../io/ckpt/index.ts';
import { MAX_HEADER_BYTES, readSafetensors } from '../io/safetensors.ts';
import { describeFileType, readExactly, RefusedError, writeFileAtomic } from './files.ts';

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
    read: (offset, length) => readExactly(fd, length, offset),
  };
}

const stem = (path: string) => basename(path, extname(path));

/**
 * Why a safetensors file of `size` bytes cannot be read, judged from its
 * 8-byte length and its header alone (null: read it whole). A header that
 * claims more than the reader's limit or than the file, or that describes
 * another amount of tensor data than follows it, is refused before the data
 * (up to 2 GiB) is read.
 */
function headProblem(fd: number, size: number): string | null {
  if (size < 8) return null; // the reader says what is wrong with so short a file
  const length = readExactly(fd, 8);
  const n = Number(new DataView(length.buffer).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) {
    return `safetensors: the header claims ${n} bytes, more than the ${MAX_HEADER_BYTES / 1e6} MB a header may have (damaged, or not a safetensors file?)`;
  }
  if (n > size - 8) {
    return `safetensors: header claims ${n} bytes but the file has only ${size - 8} bytes after the length field (truncated or not a safetensors file?)`;
  }
  const head = readExactly(fd, 8 + n);
  // What the reader says about the header alone (its JSON is checked before any tensor data).
  const readerSays = (): string | null => {
    try {
      readSafetensors(head);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8)));
  } catch {
    return readerSays();
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return readerSays();
  let end = 0;
  for (const [name, desc] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const offsets = (desc as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || !Number.isSafeInteger(offsets[1])) return readerSays();
    end = Math.max(end, offsets[1] as number);
  }
  const data = size - 8 - n;
  if (end < data) return `safetensors: the header describes ${end} bytes of tensor data but ${data} follow it: ${data - end} trailing bytes (damaged, or two files joined?)`;
  if (end > data) return `safetensors: the header describes ${end} bytes of tensor data but only ${data} follow it (file truncated?)`;
  return null;
}

/** Open a model file (see the module comment). */
export function loadModelFile(path: string): ModelFile {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would wait forever (regular files are unaffected).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ModelFileError(`cannot read ${path}: ${(e as Error).message}`, null, false, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ModelFileError(`${path} is ${describeFileType(st)}, not a regular file`, null);
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
    const problem = headProblem(fd, size);
    if (problem) throw new ModelFileError(`${path}: This file is not a FLM checkpoint: it is not a readable .safetensors file (${problem}).`, 'safetensors');
    const bytes = readExactly(fd, size);
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

/** Write a model file atomically; a failure other than a refusal becomes a ModelFileError naming the path. */
export function writeModelFile(path: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    if (e instanceof RefusedError) throw e;
    throw new ModelFileError(`cannot write ${path}: ${(e as Error).message}`, null, false, { cause: e });
  }
}
