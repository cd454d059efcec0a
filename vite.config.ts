import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { ISOLATION_HEADERS } from './src/isolation.ts';

/**
 * The production build's content security policy: scripts only from the
 * studio's own origin (no inline scripts, no eval; 'wasm-unsafe-eval' is what
 * WebAssembly compilation needs), workers from the origin, and network reads
 * from the origin or https (share links' remote models; plain http only on
 * this machine, as browsers allow; data: for the PNG export, which reads the
 * image it rendered). Inline style attributes stay allowed:
 * React and uPlot position elements with them.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' data: https: http://localhost:* http://127.0.0.1:*",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** The policy as a meta tag, in the built index.html only (Vite's dev server needs inline scripts). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'flm-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

// `base: './'` lets the production build be served from any path.
export default defineConfig({
  base: './',
  plugins: [
    react(),
    contentSecurityPolicy(),
    // Offline after the first visit, and cross-origin isolated on static hosts from the second:
    // src/sw.ts precaches the app, the bundled corpus and the bundled models (the list is
    // written in at build time) and serves them with the isolation headers.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'autoUpdate',
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,json,txt,safetensors,wasm}'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      },
    }),
  ],
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  build: { target: 'es2022', sourcemap: true },
});
