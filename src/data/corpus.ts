/**
 * Training text: decoding bytes, validating text and the fixed train/validation split.
 *
 * Runs in a page, a Web Worker and Node alike (no DOM, no Node modules).
 */

export type CorpusErrorCode = 'empty' | 'whitespace' | 'binary' | 'too-short' | 'too-large' | 'vocab-too-large' | 'mismatch';

/** A problem with the text a person supplied; `message` is meant to be shown to them. */
export class CorpusError extends Error {
  readonly code: CorpusErrorCode;
  constructor(code: CorpusErrorCode, message: string) {
    super(message);
    this.name = 'CorpusError';
    this.code = code;
  }
}

/** Largest text file accepted by default: 64 MiB. */
export const DEFAULT_MAX_CORPUS_BYTES = 64 * 1024 * 1024;

function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

export interface ValidateOptions {
  /** Fewest characters (UTF-16 code units, i.e. `text.length`) the text must have. Default 1. */
  minChars?: number;
  /** Most characters (`text.length`) accepted. Default: no limit. */
  maxChars?: number;
}

/**
 * Throws a CorpusError when the text cannot be used for training:
 * 'empty' (no characters), 'whitespace' (only spaces and line breaks),
 * 'too-short' (fewer than `minChars`), 'too-large' (more than `maxChars`).
 */
export function validateCorpusText(text: string, opts: ValidateOptions = {}): void {
  if (text.length === 0) throw new CorpusError('empty', 'The text is empty: there is nothing to train on.');
  if (text.trim().length === 0) {
    throw new CorpusError('whitespace', 'The text contains only spaces and line breaks: there is nothing to train on.');
  }
  const min = opts.minChars ?? 1;
  if (text.length < min) {
    throw new CorpusError(
      'too-short',
      `The text has ${text.length.toLocaleString('en-US')} characters; at least ${min.toLocaleString('en-US')} are needed. Add more text.`,
    );
  }
  if (opts.maxChars !== undefined && text.length > opts.maxChars) {
    throw new CorpusError(
      'too-large',
      `The text has ${text.length.toLocaleString('en-US')} characters; at most ${opts.maxChars.toLocaleString('en-US')} are accepted. Use a shorter excerpt.`,
    );
  }
}

/**
 * Decodes the bytes of a text file as UTF-8 and validates the result.
 * Rejects files over `maxBytes` ('too-large'), files with NUL bytes or invalid
 * UTF-8 ('binary'). Drops a leading byte-order mark and turns CRLF / CR line
 * endings into LF.
 */
export function decodeCorpusBytes(bytes: Uint8Array, maxBytes = DEFAULT_MAX_CORPUS_BYTES): string {
  if (bytes.length > maxBytes) {
    throw new CorpusError(
      'too-large',
      `The file is ${describeSize(bytes.length)}; the limit is ${describeSize(maxBytes)}. Use a smaller excerpt.`,
    );
  }
  if (bytes.indexOf(0) !== -1) {
    throw new CorpusError('binary', 'The file contains NUL bytes, so it looks like a binary file rather than text.');
  }
  let text: string;
  try {
    // ignoreBOM: false (the default) strips a leading UTF-8 byte-order mark.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorpusError(
      'binary',
      'The file is not valid UTF-8 text. It may be a binary file, or text saved in another encoding: save it as UTF-8 and try again.',
    );
  }
  text = text.replace(/\r\n?/g, '\n');
  validateCorpusText(text);
  return text;
}

/**
 * The fixed, deterministic train/validation split: the validation text is the
 * last `valFraction` of the text, starting at the beginning of a line (the line
 * break nearest to the ideal cut point). If the text has no usable line break,
 * the cut is made at the exact character position (never inside a surrogate pair).
 * Both parts are non-empty for any text of two or more characters.
 */
export function splitTrainVal(text: string, valFraction = 0.05): { train: string; val: string } {
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`valFraction must be in (0, 1), got ${valFraction}`);
  const n = text.length;
  if (n < 2) return { train: text, val: '' };
  const ideal = Math.min(n - 1, Math.max(1, Math.round(n * (1 - valFraction))));
  // Candidate cuts: just after the line break at or before `ideal`, and just after the next one.
  const before = text.lastIndexOf('\n', ideal - 1);
  const after = text.indexOf('\n', ideal);
  const candidates: number[] = [];
  if (before !== -1) candidates.push(before + 1);
  if (after !== -1) candidates.push(after + 1);
  let cut = -1;
  for (const c of candidates) {
    if (c <= 0 || c >= n) continue; // both parts must be non-empty
    // keep the split sensible: neither part below half its intended share
    if (n - c < (n * valFraction) / 2 || c < (n * (1 - valFraction)) / 2) continue;
    if (cut === -1 || Math.abs(c - ideal) < Math.abs(cut - ideal)) cut = c;
  }
  if (cut === -1) {
    cut = ideal;
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut = cut + 1 < n ? cut + 1 : cut - 1;
  }
  return { train: text.slice(0, cut), val: text.slice(cut) };
}

/** SHA-256 of the text's UTF-8 bytes, as hex: checkpoints record it so a resume can check it trains on the same text. */
export async function corpusDigest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Throw when a checkpoint that recorded its corpus digest is resumed on other
 * text (the batches would no longer continue the run exactly).
 */
export function checkSameCorpus(saved: unknown, digest: string, name: string): void {
  if (typeof saved === 'string' && saved !== digest) {
    throw new CorpusError(
      'mismatch',
      `${name} is not the text this checkpoint was trained on (its SHA-256 differs), so the run cannot continue exactly. Open the original text, or start a new run on this one.`,
    );
  }
}
