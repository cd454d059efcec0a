import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { runStage1Parity, runStage2Parity } from '../../src/parity/distill.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { gpuBackend } from '../gpu.ts';
import { fixtureBytes } from '../helpers.ts';

const fx = (name: string) => readSafetensors(fixtureBytes(name));

async function check(backend: Backend, tol: { loss: number; grads: number }) {
  const flm = fx('dit_flm.safetensors'), flowmap = fx('dit_flowmap.safetensors'), s1 = fx('distill_stage1.safetensors');
  const r1 = await runStage1Parity(backend, s1, flm, flowmap);
  const bad1 = r1.rows.filter((r) => !(r.relErr < (r.kind === 'grads' ? tol.grads : tol.loss)));
  expect(bad1, JSON.stringify(bad1)).toEqual([]);
  expect(r1.rows.filter((r) => r.kind === 'grads')).toHaveLength(42);
  const r2 = await runStage2Parity(backend, fx('distill_stage2.safetensors'), s1, flm, flowmap);
  const bad2 = r2.rows.filter((r) => !(r.relErr < (r.kind === 'grads' ? tol.grads : tol.loss)));
  expect(bad2, JSON.stringify(bad2)).toEqual([]);
  expect(r2.rows.filter((r) => r.kind === 'grads')).toHaveLength(34);
  return { r1, r2 };
}

describe('distillation losses and gradients vs the official fixtures', () => {
  it('CPU: losses within 1e-5, student gradients within 1e-4', async () => {
    const { r1, r2 } = await check(new CpuBackend(), { loss: 1e-5, grads: 1e-4 });
    console.log(`CPU stage 1: loss ${r1.max.loss.toExponential(2)}, grads ${r1.max.grads.toExponential(2)}; stage 2: loss ${r2.max.loss.toExponential(2)}, grads ${r2.max.grads.toExponential(2)}`);
  });
  it('WebGPU: losses within 1e-4, student gradients within 1e-3', async () => {
    const { r1, r2 } = await check(await gpuBackend(), { loss: 1e-4, grads: 1e-3 });
    console.log(`WebGPU stage 1: loss ${r1.max.loss.toExponential(2)}, grads ${r1.max.grads.toExponential(2)}; stage 2: loss ${r2.max.loss.toExponential(2)}, grads ${r2.max.grads.toExponential(2)}`);
  });
});
