/**
 * Any Hugging Face `tokenizer.json` (byte-level BPE as GPT-2's, WordPiece as
 * bert-base-uncased's, Unigram…) run by `@huggingface/tokenizers`, the
 * tokenizer library of transformers.js. This is how FLM Studio reads the
 * tokenizers of the paper's checkpoints: from a file the user gives, fetched
 * from the model hub by name (hubTokenizer.ts), or GPT-2's built offline from
 * its BPE files (gpt2Tokenizer.ts). Runs in pages, workers and Node.
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** A token a tokenizer adds to its model's vocabulary (special tokens: `[PAD]`, `<|endoftext|>`…). */
export interface HfAddedToken {
  id: number;
  content: string;
  special?: boolean;
  [k: string]: unknown;
}

/** The parts of a `tokenizer.json` this module reads; the rest is kept as it is and passed to the library. */
export interface HfTokenizerFile {
  model: {
    type: string;
    /** BPE and WordPiece: token → id; Unigram: [piece, score] in id order. */
    vocab: Record<string, number> | [string, number][];
    continuing_subword_prefix?: string | null;
    [k: string]: unknown;
  };
  added_tokens?: HfAddedToken[];
  [k: string]: unknown;
}

/** A checkpoint's tokenizer that is a whole Hugging Face `tokenizer.json`, with the name it goes by. */
export interface HfTokenizerJSON { type: 'hf'; name: string; tokenizer: HfTokenizerFile }

/** The most ids a tokenizer.json may declare (the largest vocabularies in use are ~256k). */
export const MAX_HF_VOCAB = 1_048_576;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_HF_VOCAB;

/**
 * Check that `v` looks like a Hugging Face tokenizer.json (a model with a
 * type and a vocabulary of whole ids, well-formed added tokens); throws an
 * Error that says what is wrong. The library checks the rest when it loads it.
 */
export function checkHfTokenizerFile(v: unknown): HfTokenizerFile {
  if (!isObj(v)) throw new Error('a tokenizer.json is a JSON object');
  const model = v.model;
  if (!isObj(model) || typeof model.type !== 'string') throw new Error('the tokenizer.json has no model (with a type: BPE, WordPiece, Unigram…)');
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    if (vocab.length > MAX_HF_VOCAB || !vocab.every((e) => Array.isArray(e) && typeof e[0] === 'string')) throw new Error('the Unigram vocabulary is not a list of [piece, score]');
  } else if (!isObj(vocab) || !Object.values(vocab).every(isId)) {
    throw new Error('the vocabulary is not a map from tokens to ids');
  }
  const added = v.added_tokens;
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added) || !added.every((t) => isObj(t) && isId(t.id) && typeof t.content === 'string')) {
      throw new Error('the added tokens are not a list of {id, content}');
    }
  }
  return v as HfTokenizerFile;
}

/** One past the largest id of the tokenizer's model vocabulary and added tokens. */
export function hfVocabSize(file: HfTokenizerFile): number {
  let n = Array.isArray(file.model.vocab) ? file.model.vocab.length : 0;
  if (!Array.isArray(file.model.vocab)) for (const id of Object.values(file.model.vocab)) if (id + 1 > n) n = id + 1;
  for (const t of file.added_tokens ?? []) if (t.id + 1 > n) n = t.id + 1;
  return n;
}

const MODEL_WORDS: Record<string, string> = { BPE: 'BPE', WordPiece: 'WordPiece', Unigram: 'Unigram', WordLevel: 'word-level' };

/** A tokenizer.json in words, e.g. `gpt2 (byte-level BPE, 50,258 tokens)`. */
export function hfDescription(j: HfTokenizerJSON): string {
  const file = j.tokenizer;
  const type = file.model.type;
  const isByteLevel = (v: unknown) => (v as { type?: string } | null | undefined)?.type === 'ByteLevel';
  const word = type === 'BPE' && (isByteLevel(file.pre_tokenizer) || isByteLevel(file.decoder)) ? 'byte-level BPE' : MODEL_WORDS[type] ?? type;
  return `${j.name} (${word}, ${hfVocabSize(file).toLocaleString('en-US')} tokens)`;
}

export class HfTokenizer {
  readonly vocabSize: number;
  private readonly tk: Tokenizer;
  /** id → token as the vocabulary spells it (undefined for ids no token has). */
  private readonly tokens: (string | undefined)[];
  private readonly added = new Map<number, HfAddedToken>();

  private constructor(readonly json: HfTokenizerJSON) {
    const file = json.tokenizer;
    this.tk = new Tokenizer(file, {});
    this.vocabSize = hfVocabSize(file);
    this.tokens = new Array(this.vocabSize);
    if (Array.isArray(file.model.vocab)) file.model.vocab.forEach(([piece], i) => { this.tokens[i] = piece; });
    else for (const [tok, id] of Object.entries(file.model.vocab)) this.tokens[id] = tok;
    for (const t of file.added_tokens ?? []) {
      this.added.set(t.id, t);
      this.tokens[t.id] = t.content;
    }
  }

  /** From the text or the parsed object of a tokenizer.json; throws an Error that says what is wrong. */
  static fromFile(file: string | unknown, name: string): HfTokenizer {
    let v = file;
    if (typeof file === 'string') {
      try {
        v = JSON.parse(file);
      } catch (e) {
        throw new Error(`${name} is not JSON (${(e as Error).message})`);
      }
    }
    return HfTokenizer.fromJSON({ type: 'hf', name, tokenizer: checkHfTokenizerFile(v) });
  }

  static fromJSON(j: HfTokenizerJSON): HfTokenizer {
    if (!j || j.type !== 'hf') throw new Error('not a Hugging Face tokenizer');
    try {
      return new HfTokenizer({ type: 'hf', name: j.name, tokenizer: checkHfTokenizerFile(j.tokenizer) });
    } catch (e) {
      throw new Error(`the tokenizer ${j.name} cannot be loaded: ${(e as Error).message}`);
    }
  }

  toJSON(): HfTokenizerJSON {
    return this.json;
  }

  get name(): string {
    return this.json.name;
  }

  /** The model in words, e.g. `gpt2 (byte-level BPE, 50,258 tokens)`. */
  get description(): string {
    return hfDescription(this.json);
  }

  encode(text: string): Uint32Array {
    return Uint32Array.from(this.tk.encode(text, { add_special_tokens: false }).ids);
  }

  decode(ids: ArrayLike<number>): string {
    if (ids.length === 0) return '';
    // Ids no token has (a model's vocabulary can be larger) show as ⟨id⟩ rather than vanish.
    const known: number[] = [];
    let out = '';
    const flush = () => {
      if (known.length) out += this.tk.decode(known, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
      known.length = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (this.tokens[id] === undefined) { flush(); out += `⟨${id}⟩`; } else known.push(id);
    }
    flush();
    return out;
  }

  /**
   * One token's text as it reads in running text, for the visualizer: a
   * byte-level BPE token decoded (with its leading space; bytes that are not
   * a whole character show as U+FFFD); a WordPiece token led by a space
   * unless it continues a word (`##ing` → `ing`); special tokens as spelled.
   */
  tokenString(id: number): string {
    const tok = this.tokens[id];
    if (tok === undefined) return `⟨${id}⟩`;
    if (this.added.has(id)) return tok;
    if (this.json.tokenizer.model.type === 'WordPiece') {
      const prefix = this.json.tokenizer.model.continuing_subword_prefix ?? '##';
      return prefix && tok.startsWith(prefix) ? tok.slice(prefix.length) : ` ${tok}`;
    }
    return this.tk.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}

/** Most ids a model's vocabulary may have beyond its tokenizer's (added special tokens such as a pad token). */
export const MAX_EXTRA_IDS = 8;

/**
 * The tokenizer for a model of vocabulary `vocab`, or why it does not fit. A
 * model whose vocabulary is a few ids larger than the tokenizer's gets those
 * ids as added special tokens: the first is `[PAD]` (the official data
 * loader adds `[PAD]` to tokenizers without a pad token, as GPT-2's: 50,257
 * tokens + 1), any others `[EXTRA_<id>]`.
 */
export function fitHfTokenizer(j: HfTokenizerJSON, vocab: number): { json: HfTokenizerJSON } | { reason: string } {
  const n = hfVocabSize(j.tokenizer);
  const words = (k: number) => `${k.toLocaleString('en-US')} token${k === 1 ? '' : 's'}`;
  if (n === vocab) return { json: j };
  if (n > vocab || vocab - n > MAX_EXTRA_IDS) {
    return { reason: `the ${j.name} tokenizer has ${words(n)}, but this model's vocabulary has ${words(vocab)}` };
  }
  const added = [...(j.tokenizer.added_tokens ?? [])];
  const hasPad = added.some((t) => /^(\[PAD\]|<pad>|<\|pad\|>)$/i.test(t.content));
  for (let id = n; id < vocab; id++) {
    const content = id === n && !hasPad ? '[PAD]' : `[EXTRA_${id}]`;
    added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  return { json: { type: 'hf', name: j.name, tokenizer: { ...j.tokenizer, added_tokens: added } } };
}
