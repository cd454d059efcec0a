/**
 * The one error type and the limits of the `.ckpt` reader (zip, pickle,
 * Lightning layout). Every failure of the reader is a CkptError with a code
 * and a one-line message; no other exception escapes it.
 */

export type CkptErrorCode =
  /** Not a zip file at all (or a legacy, pre-1.6 torch.save file). */
  | 'not-zip'
  /** The zip structure is damaged: truncated, offsets outside the file, bad signatures, bad CRC. */
  | 'bad-zip'
  /** A zip feature a torch checkpoint never uses (encryption, multi-disk, an unknown compression). */
  | 'unsupported-zip'
  /** data.pkl is damaged: an unknown opcode, a truncated stream, a stack or memo misuse. */
  | 'bad-pickle'
  /** The pickle names a global no checkpoint needs and whose call would run code (os.system, builtins.eval, …). */
  | 'unsafe-pickle'
  /** A declared size or count beyond the reader's limits. */
  | 'too-large'
  /** A tensor record that does not fit its storage, or a storage that does not fit its zip entry. */
  | 'bad-tensor'
  /** A tensor layout the reader does not handle (non-contiguous strides, an unsupported dtype). */
  | 'unsupported-tensor'
  /** The file is a readable torch zip but not laid out as the official Lightning trainer writes it. */
  | 'not-lightning'
  /** The trainer's config is missing a value the model needs, or contradicts the weights. */
  | 'bad-config'
  /** Weights missing, of the wrong shape, or not finite. */
  | 'bad-weights';

export class CkptError extends Error {
  readonly code: CkptErrorCode;
  constructor(code: CkptErrorCode, message: string, options?: { cause?: unknown }) {
    // One line, always: callers print it as is.
    super(message.replace(/\s+/g, ' ').trim(), options);
    this.name = 'CkptError';
    this.code = code;
  }
}

/** Every bound the reader checks before it reads or allocates anything. */
export interface CkptLimits {
  /** Largest file accepted (only the entries needed are read; see maxReadBytes). */
  maxFileBytes: number;
  /** Most bytes of zip entries read or inflated in total (the pickle and the tensors actually used). */
  maxReadBytes: number;
  /** Most zip entries (central directory records). */
  maxEntries: number;
  /** Largest central directory. */
  maxCentralDirectoryBytes: number;
  /** Largest data.pkl. */
  maxPickleBytes: number;
  /** Most memo entries, and the largest memo index. */
  maxMemo: number;
  /** Most items in one list, tuple, dict or set. */
  maxContainerItems: number;
  /** Most values pushed by the whole pickle (all containers' items together). */
  maxPickleValues: number;
  /** Deepest nesting of containers the interpretation walks. */
  maxDepth: number;
  /** Longest string or bytes value. */
  maxStringBytes: number;
  /** Most dimensions of a tensor. */
  maxTensorDims: number;
}

export const DEFAULT_CKPT_LIMITS: Readonly<CkptLimits> = Object.freeze({
  maxFileBytes: 64 * 2 ** 30,
  maxReadBytes: 8 * 2 ** 30,
  maxEntries: 200_000,
  maxCentralDirectoryBytes: 64 * 2 ** 20,
  maxPickleBytes: 256 * 2 ** 20,
  maxMemo: 4_000_000,
  maxContainerItems: 4_000_000,
  maxPickleValues: 32_000_000,
  maxDepth: 100,
  maxStringBytes: 64 * 2 ** 20,
  maxTensorDims: 8,
});

export function limitsWith(partial?: Partial<CkptLimits>): CkptLimits {
  const out = { ...DEFAULT_CKPT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new CkptError('too-large', `reader limit ${k} must be a non-negative integer, got ${String(v)}`);
  }
  return out;
}

export const fmtBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
