import type { TestProject } from 'vitest/node';
import { build, preview, type PreviewServer } from 'vite';

let server: PreviewServer | null = null;

declare module 'vitest' {
  export interface ProvidedContext { baseURL: string }
}

export async function setup(project: TestProject): Promise<void> {
  await build({ logLevel: 'warn' });
  server = await preview({ preview: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not report a URL');
  project.provide('baseURL', url);
}

export async function teardown(): Promise<void> {
  await server?.close();
}
