/**
 * Fetching a model file over the network (a share link's `model=https://…`,
 * and the studio's own bundled models) with progress and a size limit. Only
 * `.safetensors` files are accepted: their header is JSON and their body raw
 * tensors, nothing that runs code. Every failure is a RemoteModelError whose
 * code tells the UI what to say (network down, CORS refusal, 404, too large…).
 * Runs in workers and pages alike (no DOM, no Node).
 */

/**
 * The largest remote model the studio downloads without asking (a `small`
 * preset checkpoint is ~30 MB); a larger one (a converted official
 * checkpoint: the paper's LM1B model is ~0.7 GB with its EMA) needs the
 * user's yes, given its size (the 'confirm-size' error).
 */
export const MAX_REMOTE_MODEL_BYTES = 64 * 1024 * 1024;
/** The largest remote model the studio downloads at all. */
export const LARGEST_REMOTE_MODEL_BYTES = 4 * 1024 * 1024 * 1024;

export type RemoteModelErrorCode =
  | 'bad-url' | 'not-safetensors' | 'offline' | 'network' | 'cors' | 'not-found' | 'http' | 'too-large'
  /** Larger than the size downloaded without asking: ask the user (the error's `size`), then fetch again with a larger maxBytes. */
  | 'confirm-size';

export class RemoteModelError extends Error {
  /** For 'confirm-size' and 'too-large': the file's size in bytes, when the server declared it. */
  readonly size: number | null;
  constructor(readonly code: RemoteModelErrorCode, message: string, size: number | null = null) {
    super(message);
    this.name = 'RemoteModelError';
    this.size = size;
  }
}

export interface FetchProgress {
  /** Bytes received so far. */
  loaded: number;
  /** The declared size (Content-Length), when the server sent one. */
  total: number | null;
}

export interface FetchModelOptions {
  /** Largest size downloaded without asking (default MAX_REMOTE_MODEL_BYTES); above it, up to `largest`: a 'confirm-size' error. */
  maxBytes?: number;
  /** Largest size downloaded at all (default LARGEST_REMOTE_MODEL_BYTES): above it, 'too-large'. */
  largest?: number;
  onProgress?: (p: FetchProgress) => void;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A remote model's URL, checked: https (plain http only for this machine,
 * which browsers treat as secure too), and a path ending in `.safetensors`.
 */
export function checkModelUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RemoteModelError('bad-url', `"${text}" is not a URL`);
  }
  const local = url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !local) {
    throw new RemoteModelError('bad-url', `models load only over https (not ${url.protocol.replace(':', '')}): ${text}`);
  }
  if (!/\.safetensors$/i.test(url.pathname)) {
    throw new RemoteModelError('not-safetensors', `only .safetensors model files can be opened (nothing that runs code); ${url.pathname.split('/').pop() || url.href} is not one`);
  }
  return url;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * The first bytes of a safetensors file are a little-endian u64 header size
 * and then `{`. An HTML page (a host's 404 page served with 200, a login
 * wall) or any other format fails this at once, before a full download.
 */
function sniff(head: Uint8Array, name: string): void {
  if (head.length < 9) return;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const size = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (size < 2 || size > 100 * 1024 * 1024 || head[8] !== 0x7b /* { */) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 24)).replace(/[^\x20-\x7e]/g, '.');
    throw new RemoteModelError('not-safetensors', `${name} is not a safetensors file (it begins with "${text}")`);
  }
}

/** Download a model file with progress; `url` is fetched as given (check it first with checkModelUrl for user input). */
export async function fetchModel(url: string, opts: FetchModelOptions = {}): Promise<Uint8Array> {
  const doFetch = opts.fetch ?? fetch;
  const largest = opts.largest ?? LARGEST_REMOTE_MODEL_BYTES;
  const max = Math.min(opts.maxBytes ?? MAX_REMOTE_MODEL_BYTES, largest);
  /** The error for a file above `max`: a question while it is within `largest`. */
  const tooBig = (size: number | null, seen: number): RemoteModelError => {
    const known = size ?? seen;
    if (known > largest) return new RemoteModelError('too-large', `${name} is ${size === null ? 'more than ' : ''}${mb(known)}, more than the ${mb(largest)} the studio downloads`, size);
    return new RemoteModelError('confirm-size', size === null
      ? `${name} is larger than ${mb(max)} (the server did not say how large); download it anyway?`
      : `${name} is ${mb(size)}, more than the ${mb(max)} the studio downloads without asking`, size);
  };
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  let res: Response;
  try {
    res = await doFetch(url, { credentials: 'omit', cache: 'default' });
  } catch (e) {
    throw await explainFetchFailure(url, e, doFetch);
  }
  if (res.status === 404 || res.status === 410) throw new RemoteModelError('not-found', `${name} was not found (HTTP ${res.status}) at ${url}`);
  if (!res.ok) throw new RemoteModelError('http', `the server refused ${name}: HTTP ${res.status} ${res.statusText}`.trim());
  const declared = Number(res.headers.get('content-length'));
  const total = Number.isFinite(declared) && declared > 0 ? declared : null;
  if (total !== null && total > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig(total, total);
  }
  opts.onProgress?.({ loaded: 0, total });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > max) throw tooBig(null, bytes.length);
    return checked(bytes, name);
  }
  const reader = res.body.getReader();
  // A declared size is allocated once (a large model is not held twice while its chunks are joined).
  const whole = total !== null ? new Uint8Array(total) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let sniffed = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > max) throw tooBig(null, loaded + value.length);
      if (whole && loaded + value.length <= whole.length) whole.set(value, loaded);
      else chunks.push(value);
      loaded += value.length;
      if (!sniffed && loaded >= 9) { sniff(whole && !chunks.length ? whole.subarray(0, loaded) : concat(chunks, loaded), name); sniffed = true; }
      opts.onProgress?.({ loaded, total });
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof RemoteModelError) throw e;
    throw new RemoteModelError('network', `the download of ${name} broke off after ${mb(loaded)}: ${(e as Error).message}`);
  }
  if (whole && !chunks.length) {
    if (loaded !== whole.length) throw new RemoteModelError('network', `the download of ${name} broke off after ${mb(loaded)} of ${mb(whole.length)}`);
    return checked(whole, name);
  }
  // More than declared (a wrong Content-Length): joined as received.
  if (whole) chunks.unshift(whole.subarray(0, loaded - chunks.reduce((n, c) => n + c.length, 0)));
  return checked(concat(chunks, loaded), name);
}

function checked(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length < 9) throw new RemoteModelError('not-safetensors', `${name} is not a safetensors file (${bytes.length} bytes)`);
  sniff(bytes, name);
  return bytes;
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  chunks.splice(0, chunks.length, out);
  return out;
}

/**
 * A fetch that failed outright is a network error, being offline, or a CORS
 * refusal; the browser does not say which. A second, opaque (no-cors)
 * request tells the last apart: it succeeds when the server answered but
 * did not allow this origin to read the answer.
 */
async function explainFetchFailure(url: string, e: unknown, doFetch: typeof fetch): Promise<RemoteModelError> {
  const host = new URL(url).host;
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  if (nav && nav.onLine === false) return new RemoteModelError('offline', `you are offline, so ${host} cannot be reached; bundled models still work`);
  try {
    await doFetch(url, { mode: 'no-cors', credentials: 'omit', cache: 'no-store' });
    return new RemoteModelError('cors', `${host} does not let other sites read its files: the server must send an Access-Control-Allow-Origin header`);
  } catch {
    return new RemoteModelError('network', `${host} could not be reached (${(e as Error).message || 'network error'})`);
  }
}
