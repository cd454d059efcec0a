import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import type { Backend } from '../../src/engine/backend.ts';
import { EulerSampler } from '../../src/flm/sampler.ts';
import { readSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { configOfFixture, loadParams } from '../../src/parity/dit.ts';
import { DiT } from '../../src/model/dit.ts';
import { gpuBackend } from '../gpu.ts';
import { fixtureBytes, maxRelL2 } from '../helpers.ts';

async function checkEuler(backend: Backend, tol: number) {
  const dit = readSafetensors(fixtureBytes('dit_flm.safetensors'));
  const fx = readSafetensors(fixtureBytes('sampler_euler_flm.safetensors'));
  const cfg = configOfFixture(dit);
  const z0 = fx.tensors.get('z0')!;
  const count = z0.shape[0];
  const holder = new DiT(backend, cfg, 1);
  loadParams(holder, dit);
  const sampler = new EulerSampler(backend, cfg, count, holder.params);
  const steps = Number(fx.metadata.steps);
  // Each step from the fixture's previous state, so errors do not compound.
  for (let k = 0; k < steps; k++) {
    const next = await sampler.stepFrom(toFloat32(fx.tensors.get(`z${k}`)!), k, steps);
    expect(maxRelL2(next, toFloat32(fx.tensors.get(`z${k + 1}`)!)), `step ${k}`).toBeLessThan(tol);
  }
  const { tokens, z } = await sampler.sample(steps, 0, undefined, toFloat32(z0));
  expect(maxRelL2(z, toFloat32(fx.tensors.get(`z${steps}`)!))).toBeLessThan(tol);
  expect([...tokens]).toEqual([...toFloat32(fx.tensors.get('tokens')!)]);
}

describe('Euler sampler vs sampler_euler_flm fixture', () => {
  it('CPU', async () => { await checkEuler(new CpuBackend(), 1e-5); });
  it('WebGPU', async () => { await checkEuler(await gpuBackend(), 1e-4); });
});
