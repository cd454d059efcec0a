/** The official two-time Lightning checkpoint's logits on WebGPU (Dawn in Node; SwiftShader without a GPU). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOLERANCES } from '../../src/parity/dit.ts';
import { runCkptParity } from '../../src/parity/ckpt.ts';
import { gpuBackend } from '../gpu.ts';

const official = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/official-ckpt/${name}`, import.meta.url)));

describe('official .ckpt parity on WebGPU', () => {
  it('fmlm.ckpt: the EMA weights give the official logits (relative L2 ≤ 1e-4)', async () => {
    const r = await runCkptParity(await gpuBackend(), official('fmlm.ckpt'), official('fmlm.expected.safetensors'), 'fmlm.ckpt');
    console.log(`fmlm.ckpt on WebGPU: logits relative L2 error ${r.relErr.toExponential(2)}`);
    expect(r.weights).toBe('ema');
    expect(r.relErr).toBeLessThanOrEqual(TOLERANCES.webgpu.logits);
  });
});
