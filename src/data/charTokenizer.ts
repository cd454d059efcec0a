/**
 * Character-level tokenizer.
 *
 * The vocabulary is id 0 = `<unk>`, followed by the distinct Unicode code
 * points of the training text in ascending code-point order (the text is
 * iterated by code point, so an emoji or other non-BMP character is one token,
 * not two UTF-16 surrogates).
 *
 * Unknown characters: any character that is not in the vocabulary (text typed
 * later, a different corpus) encodes to id 0, `<unk>`. Decoding id 0 — or any
 * id outside the vocabulary — yields U+FFFD (the replacement character �), so a
 * decoded string always has one character per token.
 *
 * The JSON form `{ "type": "char", "vocab": [...] }` is stored in checkpoints;
 * `vocab[0]` is always "<unk>".
 */
import { CorpusError } from './corpus.ts';

export interface CharTokenizerJSON {
  type: 'char';
  vocab: string[];
}

/** The reserved unknown-character token; always id 0. */
export const UNK = '<unk>';
export const UNK_ID = 0;
/** What `decode` writes for `<unk>` and for ids outside the vocabulary. */
export const REPLACEMENT_CHAR = '\ufffd';
/** Default vocabulary limit (including `<unk>`). */
export const DEFAULT_MAX_VOCAB = 512;

function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

function isSingleCodePoint(s: string): boolean {
  if (s.length === 0 || s.length > 2) return false;
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1);
}

export class CharTokenizer {
  /** id → character; vocab[0] is `<unk>`. */
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  private readonly ids: Map<string, number>;

  private constructor(vocab: string[]) {
    this.vocab = Object.freeze(vocab.slice());
    this.vocabSize = vocab.length;
    this.ids = new Map();
    for (let i = 1; i < vocab.length; i++) this.ids.set(vocab[i], i);
  }

  /**
   * Builds the vocabulary from the text. `maxVocab` (default 512) bounds the
   * vocabulary size including `<unk>`, so the text may use at most
   * `maxVocab - 1` distinct characters; more throws CorpusError 'vocab-too-large'.
   */
  static fromText(text: string, opts: { maxVocab?: number } = {}): CharTokenizer {
    const maxVocab = opts.maxVocab ?? DEFAULT_MAX_VOCAB;
    const seen = new Set<string>();
    for (const ch of text) seen.add(ch);
    if (seen.size + 1 > maxVocab) {
      throw new CorpusError(
        'vocab-too-large',
        `The text uses ${seen.size.toLocaleString('en-US')} different characters, but a character model here supports at most ` +
          `${(maxVocab - 1).toLocaleString('en-US')}. Use text in fewer writing systems, or remove unusual symbols.`,
      );
    }
    return new CharTokenizer([UNK, ...[...seen].sort(byCodePoint)]);
  }

  /** Restores a tokenizer saved with `toJSON` (e.g. from a checkpoint); throws on a malformed description. */
  static fromJSON(j: CharTokenizerJSON): CharTokenizer {
    if (!j || typeof j !== 'object' || j.type !== 'char' || !Array.isArray(j.vocab)) {
      throw new Error('Not a character tokenizer description (expected { "type": "char", "vocab": [...] }).');
    }
    const vocab = j.vocab;
    if (vocab[0] !== UNK) throw new Error(`Character tokenizer: vocab[0] must be "${UNK}".`);
    const seen = new Set<string>();
    for (let i = 1; i < vocab.length; i++) {
      const ch = vocab[i];
      if (typeof ch !== 'string' || !isSingleCodePoint(ch)) {
        throw new Error(`Character tokenizer: entry ${i} is not a single character.`);
      }
      if (seen.has(ch)) throw new Error(`Character tokenizer: entry ${i} repeats the character ${JSON.stringify(ch)}.`);
      seen.add(ch);
    }
    return new CharTokenizer(vocab.slice());
  }

  toJSON(): CharTokenizerJSON {
    return { type: 'char', vocab: this.vocab.slice() };
  }

  /** One id per code point; characters outside the vocabulary become 0 (`<unk>`). */
  encode(text: string): Uint32Array {
    const out = new Uint32Array(text.length); // code points ≤ UTF-16 units
    let n = 0;
    for (const ch of text) out[n++] = this.ids.get(ch) ?? UNK_ID;
    return n === out.length ? out : out.slice(0, n);
  }

  /** Inverse of `encode` for known characters; `<unk>` and out-of-range ids become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const parts: string[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) parts[i] = this.tokenString(ids[i]);
    return parts.join('');
  }

  /** The character of one id; U+FFFD for `<unk>` (id 0) and ids outside the vocabulary. */
  tokenString(id: number): string {
    if (id === UNK_ID || !Number.isInteger(id) || id < 0 || id >= this.vocabSize) return REPLACEMENT_CHAR;
    return this.vocab[id];
  }
}
