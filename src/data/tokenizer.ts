/** The tokenizers a model can use, and how they are saved with it. */
import { BpeTokenizer, type BpeTokenizerJSON } from './bpeTokenizer.ts';
import { CharTokenizer, type CharTokenizerJSON } from './charTokenizer.ts';

export type TextTokenizer = CharTokenizer | BpeTokenizer;
export type TokenizerJSON = CharTokenizerJSON | BpeTokenizerJSON;
export type TokenizerKind = 'char' | 'bpe';

export function tokenizerFromJSON(j: TokenizerJSON): TextTokenizer {
  if (j?.type === 'char') return CharTokenizer.fromJSON(j);
  if (j?.type === 'bpe') return BpeTokenizer.fromJSON(j);
  throw new Error(`unknown tokenizer type ${(j as { type?: string })?.type}`);
}

/** One display string per token id: the tokenizer's text of each token, or ⟨id⟩ without a tokenizer. */
export function tokenPieces(tk: TextTokenizer | null, vocab: number): string[] {
  return Array.from({ length: vocab }, (_, i) => (tk ? tk.tokenString(i) : `⟨${i}⟩`));
}
