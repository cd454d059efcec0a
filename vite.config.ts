import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `base: './'` lets the production build be served from any path.
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { target: 'es2022', sourcemap: true },
});
