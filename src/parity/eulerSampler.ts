/**
 * Parity of the Euler sampler with `sampler_euler_flm.safetensors`: each
 * step from the fixture's previous state (so errors do not compound), and the
 * final tokens where the top-two margin exceeds 1e-3.
 */
import type { Backend } from '../engine/backend.ts';
import { readSafetensors, toFloat32, type StFile } from '../io/safetensors.ts';
import { DiT } from '../model/dit.ts';
import { configOfFixture, loadParams, relL2 } from './dit.ts';
import { EulerSampler } from '../flm/sampler.ts';

export interface SamplerParityResult { steps: number; stepErrors: number[]; tokensChecked: number; tokensEqual: number }

export function isEulerSamplerFixture(f: StFile): boolean {
  // The Euler FLM sampler fixture names one model; the two-network (stage-1) one names a teacher and a student.
  return f.tensors.has('z0') && f.tensors.has('z1') && f.tensors.has('tokens') && f.metadata.steps !== undefined
    && f.metadata.model !== undefined && f.metadata.teacher === undefined;
}

export async function runEulerSamplerParity(backend: Backend, fixture: StFile, modelBytes: Uint8Array): Promise<SamplerParityResult> {
  const dit = readSafetensors(modelBytes);
  const cfg = configOfFixture(dit);
  const z0 = fixture.tensors.get('z0')!;
  const count = z0.shape[0];
  const holder = new DiT(backend, cfg, 1, { inference: true });
  loadParams(holder, dit);
  const sampler = new EulerSampler(backend, cfg, count, holder.params);
  const steps = Number(fixture.metadata.steps);
  const stepErrors: number[] = [];
  for (let k = 0; k < steps; k++) {
    const next = await sampler.stepFrom(toFloat32(fixture.tensors.get(`z${k}`)!), k, steps);
    stepErrors.push(relL2(next, toFloat32(fixture.tensors.get(`z${k + 1}`)!)));
  }
  const { tokens } = await sampler.sample(steps, 0, undefined, toFloat32(z0));
  const want = toFloat32(fixture.tensors.get('tokens')!);
  const zN = toFloat32(fixture.tensors.get(`z${steps}`)!);
  const V = cfg.vocab;
  let checked = 0, equal = 0;
  for (let r = 0; r < want.length; r++) {
    const row = Array.from(zN.subarray(r * V, (r + 1) * V)).sort((a, b) => b - a);
    if (row[0] - row[1] <= 1e-3) continue;
    checked++;
    if (tokens[r] === want[r]) equal++;
  }
  sampler.release();
  holder.release();
  return { steps, stepErrors, tokensChecked: checked, tokensEqual: equal };
}
