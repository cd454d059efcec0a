/**
 * A tokenizer fetched by name from the Hugging Face model hub, as
 * transformers.js fetches it (`https://huggingface.co/<name>/resolve/main/tokenizer.json`)
 * and kept in the browser's Cache Storage, so that a tokenizer is downloaded
 * once. Only the `tokenizer.json` is read: it is data (JSON), run by
 * `@huggingface/tokenizers`; nothing fetched is executed.
 *
 * Every failure is a TokenizerFetchError whose code says what to tell the
 * user (no such tokenizer, offline, the hub refused…).
 */
import { checkHfTokenizerFile, type HfTokenizerJSON } from './hfTokenizer.ts';

export const HUB_URL = 'https://huggingface.co';
/** The Cache Storage cache the studio keeps fetched tokenizers in. */
export const TOKENIZER_CACHE = 'flm-tokenizers';
/** The largest tokenizer.json fetched (GPT-2's is 1.4 MB, bert-base-uncased's 0.5 MB). */
export const MAX_TOKENIZER_BYTES = 32 * 1024 * 1024;

export type TokenizerFetchErrorCode = 'bad-name' | 'not-found' | 'offline' | 'network' | 'http' | 'bad-file' | 'too-large';

export class TokenizerFetchError extends Error {
  constructor(readonly code: TokenizerFetchErrorCode, message: string) {
    super(message);
    this.name = 'TokenizerFetchError';
  }
}

/** What the fetch needs of Cache Storage (a test passes a Map-backed one). */
export interface ResponseCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
}

export interface HubOptions {
  /** The fetch to use (tests mock the network here). */
  fetch?: typeof fetch;
  /** Where fetched files are kept; default: Cache Storage's `flm-tokenizers` where the browser has it; null: none. */
  cache?: ResponseCache | null;
  /** The hub's address (default https://huggingface.co). */
  hub?: string;
  revision?: string;
  /** Give up on the hub after this long (default 30 s): a load waits on it. */
  timeoutMs?: number;
}

/** A model id as the hub names them: `name` or `owner/name` (letters, digits, `-`, `_`, `.`). */
const HUB_NAME = /^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/;

export function checkHubName(name: string): string {
  if (!HUB_NAME.test(name) || name.includes('..')) {
    throw new TokenizerFetchError('bad-name', `"${name}" is not a model hub name (like gpt2 or google-bert/bert-base-uncased)`);
  }
  return name;
}

export function hubTokenizerUrl(name: string, opts: Pick<HubOptions, 'hub' | 'revision'> = {}): string {
  const rev = encodeURIComponent(opts.revision ?? 'main');
  return `${(opts.hub ?? HUB_URL).replace(/\/$/, '')}/${checkHubName(name)}/resolve/${rev}/tokenizer.json`;
}

async function defaultCache(): Promise<ResponseCache | null> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return null;
  try {
    const c = await storage.open(TOKENIZER_CACHE);
    return { match: (u) => c.match(u), put: (u, r) => c.put(u, r) };
  } catch {
    return null; // Cache Storage refused (private mode, an opaque origin): fetch every time
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The tokenizer.json of hub model `name` (from the cache when it was fetched before). */
export async function fetchHubTokenizer(name: string, opts: HubOptions = {}): Promise<HfTokenizerJSON> {
  const url = hubTokenizerUrl(name, opts);
  const doFetch = opts.fetch ?? fetch;
  const cache = opts.cache === undefined ? await defaultCache() : opts.cache;
  let res = await cache?.match(url).catch(() => undefined);
  const cached = !!res;
  if (!res) {
    try {
      const timeout = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(opts.timeoutMs ?? 30_000) : undefined;
      res = await doFetch(url, { credentials: 'omit', signal: timeout });
    } catch (e) {
      const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
      if (nav && nav.onLine === false) throw new TokenizerFetchError('offline', `you are offline, so the ${name} tokenizer cannot be fetched from the model hub`);
      throw new TokenizerFetchError('network', `the model hub could not be reached for the ${name} tokenizer (${(e as Error).message || 'network error'})`);
    }
    if (res.status === 404 || res.status === 401) throw new TokenizerFetchError('not-found', `the model hub has no tokenizer.json for "${name}" (HTTP ${res.status}; a private or gated model needs a token the studio does not send)`);
    if (!res.ok) throw new TokenizerFetchError('http', `the model hub refused the ${name} tokenizer: HTTP ${res.status} ${res.statusText}`.trim());
  }
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_TOKENIZER_BYTES) throw new TokenizerFetchError('too-large', `the ${name} tokenizer.json is ${mb(declared)}, more than the ${mb(MAX_TOKENIZER_BYTES)} the studio reads`);
  const keep = !cached && cache ? res.clone() : null;
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw new TokenizerFetchError('network', `the download of the ${name} tokenizer broke off (${(e as Error).message})`);
  }
  if (text.length > MAX_TOKENIZER_BYTES) throw new TokenizerFetchError('too-large', `the ${name} tokenizer.json is more than the ${mb(MAX_TOKENIZER_BYTES)} the studio reads`);
  let file;
  try {
    file = checkHfTokenizerFile(JSON.parse(text));
  } catch (e) {
    throw new TokenizerFetchError('bad-file', `the model hub's tokenizer.json for ${name} is not usable: ${(e as Error).message}`);
  }
  // Kept only once it is known to be a tokenizer.json.
  if (keep && cache) await cache.put(url, keep).catch(() => undefined);
  return { type: 'hf', name, tokenizer: file };
}
