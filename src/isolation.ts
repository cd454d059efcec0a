/**
 * Cross-origin isolation: with these headers on the document and the worker
 * scripts, a page gets SharedArrayBuffer, so the WebAssembly backend runs on
 * one thread per core. `npm run studio` and the dev server send them; on a
 * static host that cannot, the service worker (src/sw.ts) adds them to what it
 * serves, so the studio is isolated from its second visit on.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;
