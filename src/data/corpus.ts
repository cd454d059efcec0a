/** Training text: decoding, validation and the fixed train/validation split. */

export type CorpusErrorCode = 'empty' | 'whitespace' | 'binary' | 'too-short' | 'too-large' | 'vocab-too-large';

export class CorpusError extends Error {
  constructor(readonly code: CorpusErrorCode, message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

export const DEFAULT_MAX_CORPUS_BYTES = 64 * 2 ** 20;

/** UTF-8 bytes to text; refuses binary data and oversize files with a readable message. */
export function decodeCorpusBytes(bytes: Uint8Array, maxBytes = DEFAULT_MAX_CORPUS_BYTES): string {
  if (bytes.length > maxBytes) {
    throw new CorpusError('too-large', `The text is ${(bytes.length / 2 ** 20).toFixed(1)} MB; the limit is ${(maxBytes / 2 ** 20).toFixed(0)} MB. Use a smaller excerpt.`);
  }
  if (bytes.includes(0)) throw new CorpusError('binary', 'This file contains NUL bytes: it looks like a binary file, not text.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorpusError('binary', 'This file is not valid UTF-8 text (is it a binary file, or text in another encoding?).');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r\n?/g, '\n');
  validateCorpusText(text);
  return text;
}

export function validateCorpusText(text: string, opts: { minChars?: number } = {}): void {
  if (text.length === 0) throw new CorpusError('empty', 'The text is empty.');
  if (text.trim().length === 0) throw new CorpusError('whitespace', 'The text contains only whitespace.');
  const min = opts.minChars ?? 0;
  if (text.length < min) throw new CorpusError('too-short', `The text has ${text.length} characters; at least ${min} are needed.`);
}

/** The last `valFraction` of the text (cut at a line boundary) is the validation split. */
export function splitTrainVal(text: string, valFraction = 0.05): { train: string; val: string } {
  let cut = Math.floor(text.length * (1 - valFraction));
  const nl = text.lastIndexOf('\n', cut);
  if (nl > text.length * 0.5) cut = nl + 1;
  return { train: text.slice(0, cut), val: text.slice(cut) };
}
