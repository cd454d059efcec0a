/**
 * Cross-origin isolation: with these headers on the document and the worker
 * scripts, a page gets SharedArrayBuffer, so the WebAssembly backend runs on
 * one thread per core. `npm run studio` and the dev server send them; on a
 * static host that cannot, the service worker (src/sw.ts) adds them to what it
 * serves, so the studio is isolated from its second visit on.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // credentialless, not require-corp: a cross-origin no-cors request (how a
  // share link's failed model download tells a CORS refusal from a network
  // error, src/io/remoteModel.ts) still goes out, without credentials, where
  // require-corp would block it unless the other host sent CORP. A browser
  // without credentialless is simply not isolated: one thread.
  'Cross-Origin-Embedder-Policy': 'credentialless',
} as const;
