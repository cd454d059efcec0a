/**
 * The page `npm run bench:paper-size` drives in headless Chromium
 * (bench/paper-size.html): the same measurement as in Node
 * (bench/paper-size-run.ts) on the page's WebGPU. Exposes `window.paperSize`.
 */
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { runPaperSize, type PaperSizeRequest, type PaperSizeResult } from './paper-size-run.ts';

declare global {
  interface Window { paperSize: (req: PaperSizeRequest) => Promise<PaperSizeResult> }
}

window.paperSize = async (req) => {
  const gpu = await GpuBackend.create();
  try {
    return await runPaperSize(gpu, req, `headless Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? ''}`, (s) => console.log(s));
  } finally {
    gpu.destroy();
  }
};
