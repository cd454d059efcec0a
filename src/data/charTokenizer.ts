/**
 * Character-level tokenizer: the vocabulary is the sorted set of Unicode code
 * points of the corpus, plus `<unk>` (id 0) for characters it has never seen.
 * Saved with the model as JSON.
 */
import { CorpusError } from './corpus.ts';

export interface CharTokenizerJSON { type: 'char'; vocab: string[] }

export const UNK = '<unk>';

export class CharTokenizer {
  private readonly index: Map<string, number>;
  private constructor(readonly vocab: string[]) {
    this.index = new Map(vocab.map((c, i) => [c, i]));
  }

  static fromText(text: string, opts: { maxVocab?: number } = {}): CharTokenizer {
    const set = new Set<string>();
    for (const ch of text) set.add(ch);
    const chars = [...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    const max = opts.maxVocab ?? 512;
    if (chars.length + 1 > max) {
      throw new CorpusError('vocab-too-large', `The text uses ${chars.length} distinct characters; a character model supports at most ${max - 1}. Use text in fewer scripts, or a BPE tokenizer.`);
    }
    return new CharTokenizer([UNK, ...chars]);
  }

  static fromJSON(j: CharTokenizerJSON): CharTokenizer {
    if (!j || j.type !== 'char' || !Array.isArray(j.vocab) || j.vocab[0] !== UNK) throw new Error('not a character tokenizer');
    return new CharTokenizer([...j.vocab]);
  }

  toJSON(): CharTokenizerJSON {
    return { type: 'char', vocab: [...this.vocab] };
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encode(text: string): Uint32Array {
    const out: number[] = [];
    for (const ch of text) out.push(this.index.get(ch) ?? 0);
    return Uint32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.tokenString(ids[i]);
    return s;
  }

  tokenString(id: number): string {
    return id === 0 ? '\ufffd' : (this.vocab[id] ?? '\ufffd');
  }
}
