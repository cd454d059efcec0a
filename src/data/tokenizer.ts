/** The tokenizers a model can use, and how they are saved with it. */
import { BpeTokenizer, type BpeTokenizerJSON } from './bpeTokenizer.ts';
import { CharTokenizer, type CharTokenizerJSON } from './charTokenizer.ts';

export type TextTokenizer = CharTokenizer | BpeTokenizer;
export type TokenizerJSON = CharTokenizerJSON | BpeTokenizerJSON;
export type TokenizerKind = 'char' | 'bpe';

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
  throw new Error(`unknown tokenizer type ${JSON.stringify(o.type)}`);
}

export function tokenizerFromJSON(j: TokenizerJSON): TextTokenizer {
  if (j?.type === 'char') return CharTokenizer.fromJSON(j);
  if (j?.type === 'bpe') return BpeTokenizer.fromJSON(j);
  throw new Error(`unknown tokenizer type ${(j as { type?: string })?.type}`);
}

/** One display string per token id: the tokenizer's text of each token, or ⟨id⟩ without a tokenizer. */
export function tokenPieces(tk: TextTokenizer | null, vocab: number): string[] {
  return Array.from({ length: vocab }, (_, i) => (tk ? tk.tokenString(i) : `⟨${i}⟩`));
}
