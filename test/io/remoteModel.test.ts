import { describe, expect, it } from 'vitest';
import { checkModelUrl, fetchModel, RemoteModelError } from '../../src/io/remoteModel.ts';

/** A valid-looking safetensors prefix: u64 header size, then `{`. */
function stBytes(n: number): Uint8Array {
  const header = new TextEncoder().encode('{"__metadata__":{}}');
  const out = new Uint8Array(Math.max(n, 8 + header.length));
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 8);
  return out;
}

function respond(body: Uint8Array | string, init: ResponseInit & { chunk?: number; length?: number } = {}): typeof fetch {
  return (async () => {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const chunk = init.chunk ?? 1024;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let o = 0; o < bytes.length; o += chunk) c.enqueue(bytes.slice(o, o + chunk));
        c.close();
      },
    });
    const headers = new Headers(init.headers);
    if (init.length !== undefined) headers.set('content-length', String(init.length));
    return new Response(stream, { status: init.status ?? 200, headers });
  }) as typeof fetch;
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'ok'; } catch (e) { expect(e).toBeInstanceOf(RemoteModelError); return (e as RemoteModelError).code; }
};

describe('checkModelUrl', () => {
  it('accepts https .safetensors and http on this machine only', () => {
    expect(checkModelUrl('https://example.org/m/model.safetensors').href).toContain('model.safetensors');
    expect(checkModelUrl('http://127.0.0.1:8080/a.safetensors').protocol).toBe('http:');
    expect(checkModelUrl('http://localhost/a.SAFETENSORS').hostname).toBe('localhost');
  });
  it('refuses other schemes, hosts and file types with a reason', () => {
    const c = (u: string) => { try { checkModelUrl(u); return 'ok'; } catch (e) { return (e as RemoteModelError).code; } };
    expect(c('http://example.org/a.safetensors')).toBe('bad-url');
    expect(c('ftp://example.org/a.safetensors')).toBe('bad-url');
    expect(c('javascript:alert(1)')).toBe('bad-url');
    expect(c('not a url')).toBe('bad-url');
    expect(c('https://example.org/model.bin')).toBe('not-safetensors');
    expect(c('https://example.org/model.pt')).toBe('not-safetensors');
    expect(c('https://example.org/model.safetensors.js')).toBe('not-safetensors');
  });
});

describe('fetchModel', () => {
  const url = 'https://example.org/m.safetensors';

  it('downloads with progress, in order, ending at the size', async () => {
    const body = stBytes(5000);
    const seen: number[] = [];
    const bytes = await fetchModel(url, { fetch: respond(body, { length: 5000 }), onProgress: (p) => { seen.push(p.loaded); expect(p.total).toBe(5000); } });
    expect(bytes).toEqual(body);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(5000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('names 404, other HTTP errors, oversize files (declared or streamed) and non-safetensors content', async () => {
    expect(await code(fetchModel(url, { fetch: respond('nope', { status: 404 }) }))).toBe('not-found');
    expect(await code(fetchModel(url, { fetch: respond('nope', { status: 403 }) }))).toBe('http');
    expect(await code(fetchModel(url, { fetch: respond(stBytes(100), { length: 2000 }), maxBytes: 1000, largest: 1500 }))).toBe('too-large');
    // no Content-Length: stopped while streaming
    expect(await code(fetchModel(url, { fetch: respond(stBytes(5000)), maxBytes: 1000, largest: 1000 }))).toBe('too-large');
    expect(await code(fetchModel(url, { fetch: respond('<!doctype html><html><body>login</body></html>') }))).toBe('not-safetensors');
    expect(await code(fetchModel(url, { fetch: respond(new Uint8Array(4)) }))).toBe('not-safetensors');
  });

  it('above the size downloaded without asking, asks (confirm-size, with the declared size) before downloading; a yes fetches it', async () => {
    const body = stBytes(5000);
    let started = 0;
    const counting = (f: typeof fetch) => (async (u: RequestInfo | URL, i?: RequestInit) => { started++; return f(u, i); }) as typeof fetch;
    const e = (await fetchModel(url, { fetch: respond(body, { length: 5000 }), maxBytes: 1000 }).catch((x: unknown) => x)) as RemoteModelError;
    expect(e.code).toBe('confirm-size');
    expect(e.size).toBe(5000);
    expect(e.message).toBe('m.safetensors is 0.0 MB, more than the 0.0 MB the studio downloads without asking');
    const seen: number[] = [];
    const bytes = await fetchModel(url, { fetch: counting(respond(body, { length: 5000 })), maxBytes: e.size!, onProgress: (p) => seen.push(p.loaded) });
    expect(Buffer.compare(bytes, body)).toBe(0);
    expect(started).toBe(1);
    expect(seen.at(-1)).toBe(5000);
    // Undeclared size: the download stops at the limit and asks, without a size.
    const u = (await fetchModel(url, { fetch: respond(body), maxBytes: 1000 }).catch((x: unknown) => x)) as RemoteModelError;
    expect([u.code, u.size]).toEqual(['confirm-size', null]);
    expect(u.message).toMatch(/larger than 0.0 MB \(the server did not say how large\)/);
    // The default: 64 MB without asking; a declared 154 MB asks, naming its size; beyond 4 GiB is refused.
    const big = (await fetchModel(url, { fetch: respond(stBytes(100), { length: 154 * 2 ** 20 }) }).catch((x: unknown) => x)) as RemoteModelError;
    expect([big.code, big.size, big.message]).toEqual(['confirm-size', 154 * 2 ** 20, 'm.safetensors is 154.0 MB, more than the 64.0 MB the studio downloads without asking']);
    expect(await code(fetchModel(url, { fetch: respond(stBytes(100), { length: 5 * 2 ** 30 }) }))).toBe('too-large');
  });

  it('a download shorter than its declared size is a network error', async () => {
    expect(await code(fetchModel(url, { fetch: respond(stBytes(100), { length: 200 }) }))).toBe('network');
  });

  it('tells a CORS refusal (an opaque request gets through) from a network error', async () => {
    const cors = (async (_u: string, init?: RequestInit) => {
      if (init?.mode === 'no-cors') return new Response(null, { status: 200 });
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const down = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    expect(await code(fetchModel(url, { fetch: cors }))).toBe('cors');
    expect(await code(fetchModel(url, { fetch: down }))).toBe('network');
  });

  it('reports a download that breaks off midway as a network error', async () => {
    const broken = (async () => new Response(new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(stBytes(64)); c.error(new Error('connection reset')); },
    }))) as typeof fetch;
    const e = (await fetchModel(url, { fetch: broken }).catch((x: unknown) => x)) as RemoteModelError;
    expect(e.code).toBe('network');
    expect(e.message).toContain('connection reset');
  });
});
