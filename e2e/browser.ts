/** Launch Debian's Chromium with WebGPU (SwiftShader on GPU-less machines) through Playwright. */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error('no Chromium found: apt-get install chromium (or set CHROMIUM_PATH)');
  return found;
}

/** `webgpu: false` launches without WebGPU (requestAdapter gives null), as in browsers that lack it. */
export async function launch(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      ...(opts.webgpu === false ? [] : ['--enable-unsafe-webgpu']),
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      // Extra flags from the environment (a real GPU's Vulkan backend: bench/gpu.sh).
      ...(process.env.CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    ],
  });
}

/** Collect console errors and page errors so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
