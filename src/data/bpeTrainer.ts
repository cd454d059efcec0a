/**
 * Train a byte-level BPE tokenizer (GPT-2 style pre-tokenization, byte to
 * printable-character mapping) and express it as a Hugging Face
 * `tokenizer.json`, which `@huggingface/tokenizers` (transformers.js's
 * tokenizer library) then loads and runs. Deterministic: ties between equally
 * frequent pairs break by the pair's text.
 */

/** GPT-2's pre-tokenization pattern: contractions, letters, digits, other symbols, spaces. */
export const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from the 256 bytes to printable characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return map;
}

export interface TokenizerJson {
  version: string;
  model: { type: 'BPE'; vocab: Record<string, number>; merges: string[]; [k: string]: unknown };
  [k: string]: unknown;
}

export function trainByteLevelBpe(text: string, vocabSize: number): TokenizerJson {
  const byteChar = bytesToUnicode();
  const enc = new TextEncoder();
  // word (as byte characters) → count
  const counts = new Map<string, number>();
  for (const m of text.matchAll(PRETOKENIZE)) {
    const w = Array.from(enc.encode(m[0]), (b) => byteChar[b]).join('');
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words = [...counts.entries()].map(([w, c]) => ({ syms: [...w], c }));
  const vocab: Record<string, number> = {};
  byteChar.forEach((ch, i) => { vocab[ch] = i; });
  const merges: string[] = [];
  let next = 256;
  while (next < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]} ${syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + c);
      }
    }
    let best = '', bc = 0;
    for (const [k, c] of pairs) if (c > bc || (c === bc && k < best)) { best = k; bc = c; }
    if (bc < 2) break;
    const [a, b] = best.split(' ');
    const merged = a + b;
    merges.push(best);
    vocab[merged] = next++;
    for (const w of words) {
      const s = w.syms;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) s.splice(i, 2, merged);
    }
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}
