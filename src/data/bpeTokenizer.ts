/**
 * BPE tokenization through `@huggingface/tokenizers` (the tokenizer library
 * of transformers.js) from a local `tokenizer.json`: FLM Studio bundles one
 * trained on its corpus (`public/corpus/brown-bpe.json`, `npm run corpus`).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenizerJson } from './bpeTrainer.ts';

export interface BpeTokenizerJSON { type: 'bpe'; name: string; tokenizer: TokenizerJson }

export class BpeTokenizer {
  private readonly tk: Tokenizer;
  private readonly idToToken: string[];
  private constructor(readonly json: BpeTokenizerJSON) {
    this.tk = new Tokenizer(json.tokenizer, {});
    this.idToToken = [];
    for (const [tok, id] of Object.entries(json.tokenizer.model.vocab)) this.idToToken[id] = tok;
  }

  static fromTokenizerJson(tokenizer: TokenizerJson, name: string): BpeTokenizer {
    if (!tokenizer?.model || tokenizer.model.type !== 'BPE') throw new Error('not a BPE tokenizer.json');
    return new BpeTokenizer({ type: 'bpe', name, tokenizer });
  }

  static fromJSON(j: BpeTokenizerJSON): BpeTokenizer {
    if (!j || j.type !== 'bpe') throw new Error('not a BPE tokenizer');
    return new BpeTokenizer(j);
  }

  toJSON(): BpeTokenizerJSON {
    return this.json;
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  encode(text: string): Uint32Array {
    // Encode line by line: tokenizers.js works on strings, and large inputs in one call are slow.
    const out: number[] = [];
    const lines = text.split(/(?<=\n)/);
    for (const line of lines) for (const id of this.tk.encode(line, { add_special_tokens: false }).ids) out.push(id);
    return Uint32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    if (ids.length === 0) return '';
    return this.tk.decode(Array.from(ids), { skip_special_tokens: false });
  }

  /** One token's text (bytes that are not a whole character show as U+FFFD). */
  tokenString(id: number): string {
    return this.decode([id]);
  }
}
