/**
 * Fetching a model file over the network (a share link's `model=https://…`,
 * and the studio's own bundled models) with progress and a size limit. Only
 * `.safetensors` files are accepted: their header is JSON and their body raw
 * tensors, nothing that runs code. Every failure is a RemoteModelError whose
 * code tells the UI what to say (network down, CORS refusal, 404, too large…).
 * Runs in workers and pages alike (no DOM, no Node).
 */

/** The largest remote model the studio downloads (a `small` preset checkpoint is ~30 MB). */
export const MAX_REMOTE_MODEL_BYTES = 64 * 1024 * 1024;

export type RemoteModelErrorCode =
  | 'bad-url' | 'not-safetensors' | 'offline' | 'network' | 'cors' | 'not-found' | 'http' | 'too-large';

export class RemoteModelError extends Error {
  constructor(readonly code: RemoteModelErrorCode, message: string) {
    super(message);
    this.name = 'RemoteModelError';
  }
}

export interface FetchProgress {
  /** Bytes received so far. */
  loaded: number;
  /** The declared size (Content-Length), when the server sent one. */
  total: number | null;
}

export interface FetchModelOptions {
  maxBytes?: number;
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
  const max = opts.maxBytes ?? MAX_REMOTE_MODEL_BYTES;
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
    throw new RemoteModelError('too-large', `${name} is ${mb(total)}, more than the ${mb(max)} the studio downloads`);
  }
  opts.onProgress?.({ loaded: 0, total });
  if (!res.body) return checked(new Uint8Array(await res.arrayBuffer()), name, max);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let sniffed = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (loaded > max) throw new RemoteModelError('too-large', `${name} is larger than the ${mb(max)} the studio downloads (stopped at ${mb(loaded)})`);
      if (!sniffed && loaded >= 9) { sniff(concat(chunks, loaded), name); sniffed = true; }
      opts.onProgress?.({ loaded, total });
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof RemoteModelError) throw e;
    throw new RemoteModelError('network', `the download of ${name} broke off after ${mb(loaded)}: ${(e as Error).message}`);
  }
  return checked(concat(chunks, loaded), name, max);
}

function checked(bytes: Uint8Array, name: string, max: number): Uint8Array {
  if (bytes.length > max) throw new RemoteModelError('too-large', `${name} is ${mb(bytes.length)}, more than the ${mb(max)} the studio downloads`);
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
