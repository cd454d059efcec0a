/** The tokenizers a model can use, and how they are saved with it. */
import { BpeTokenizer, type BpeTokenizerJSON } from './bpeTokenizer.ts';
import { CharTokenizer, type CharTokenizerJSON } from './charTokenizer.ts';
import { checkHfTokenizerFile, HfTokenizer, type HfTokenizerJSON } from './hfTokenizer.ts';

/**
 * A tokenizer named, not included: a checkpoint converted from the paper's
 * official `.ckpt` says which tokenizer it was trained with
 * (`data.tokenizer_name_or_path`, e.g. `gpt2` or `bert-base-uncased`); the
 * studio resolves the name when it loads the model (tokenizerSources.ts:
 * GPT-2 built offline, others fetched from the model hub). Until then, and
 * where it cannot be resolved, samples show token ids.
 */
export interface NamedTokenizerJSON { type: 'hub'; name: string }

export type TextTokenizer = CharTokenizer | BpeTokenizer | HfTokenizer;
export type TokenizerJSON = CharTokenizerJSON | BpeTokenizerJSON | HfTokenizerJSON | NamedTokenizerJSON;

/**
 * The bundled byte-level BPE tokenizers (Hugging Face tokenizer.json files
 * public/corpus/<name>.json, written by `npm run corpus`), by the kind a run
 * asks for them with, to the name they are saved under: `bpe`, 512 tokens
 * trained on the Brown excerpt; `bpe-4096`, 4,096 tokens trained on the whole
 * corpus (the `base` models').
 */
export const BUNDLED_BPE = { bpe: 'brown-bpe', 'bpe-4096': 'brown-full-bpe-4096' } as const;

/** How a new run tokenizes: the corpus's characters, or a bundled BPE. */
export type TokenizerKind = 'char' | keyof typeof BUNDLED_BPE;

export const isBundledBpe = (k: string): k is keyof typeof BUNDLED_BPE => Object.hasOwn(BUNDLED_BPE, k);

/** Whether a checkpoint's tokenizer is only named (to be resolved before it can decode). */
export const isNamedTokenizer = (j: TokenizerJSON | undefined | null): j is NamedTokenizerJSON => j?.type === 'hub';

/**
 * Validate a tokenizer's saved JSON (from a checkpoint's metadata) into its
 * typed form; throws an Error that says what is wrong.
 */
export function parseTokenizerJSON(v: unknown): TokenizerJSON {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('it is not an object');
  const o = v as Record<string, unknown>;
  if (o.type === 'char') {
    if (!Array.isArray(o.vocab) || !o.vocab.every((c): c is string => typeof c === 'string')) throw new Error('the character vocabulary is not a list of strings');
    return { type: 'char', vocab: o.vocab };
  }
  if (o.type === 'bpe') {
    if (typeof o.name !== 'string') throw new Error('the BPE tokenizer has no name');
    const tk = o.tokenizer as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } } | null;
    const model = typeof tk === 'object' && tk !== null ? tk.model : undefined;
    if (!model || model.type !== 'BPE') throw new Error('the tokenizer.json is not a BPE model');
    const vocab = model.vocab;
    if (typeof vocab !== 'object' || vocab === null || !Object.values(vocab).every((id) => Number.isInteger(id) && id >= 0)) {
      throw new Error('the BPE vocabulary is not a map from tokens to ids');
    }
    if (!Array.isArray(model.merges) || !model.merges.every((m) => typeof m === 'string')) throw new Error('the BPE merges are not a list of strings');
    return { type: 'bpe', name: o.name, tokenizer: o.tokenizer as BpeTokenizerJSON['tokenizer'] };
  }
  if (o.type === 'hf') {
    if (typeof o.name !== 'string') throw new Error('the tokenizer has no name');
    return { type: 'hf', name: o.name, tokenizer: checkHfTokenizerFile(o.tokenizer) };
  }
  if (o.type === 'hub') {
    if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200) throw new Error('the named tokenizer has no name');
    return { type: 'hub', name: o.name };
  }
  throw new Error(`unknown tokenizer type ${JSON.stringify(o.type)}`);
}

export function tokenizerFromJSON(j: TokenizerJSON): TextTokenizer {
  if (j?.type === 'char') return CharTokenizer.fromJSON(j);
  if (j?.type === 'bpe') return BpeTokenizer.fromJSON(j);
  if (j?.type === 'hf') return HfTokenizer.fromJSON(j);
  if (j?.type === 'hub') {
    throw new Error(`this checkpoint names the ${j.name} tokenizer but does not include it; the studio fetches it when it loads the model (in the command line, samples show token ids)`);
  }
  throw new Error(`unknown tokenizer type ${(j as { type?: string })?.type}`);
}

/** One display string per token id: the tokenizer's text of each token, or ⟨id⟩ without a tokenizer. */
export function tokenPieces(tk: TextTokenizer | null, vocab: number): string[] {
  return Array.from({ length: vocab }, (_, i) => (tk ? tk.tokenString(i) : `⟨${i}⟩`));
}
