/**
 * Parity of the distillation samplers with the official fixtures:
 * `sampler_two_network.safetensors` (teacher dit_flm + flow map dit_flowmap,
 * N = 2, each step from the fixture's previous state) and
 * `sampler_flowmap.safetensors` (the one-network sampler on dit_flowmap's
 * weights: one step, and the middle state and result of two steps).
 */
import type { Backend } from '../engine/backend.ts';
import { EulerSampler } from '../flm/sampler.ts';
import { toFloat32, type StFile } from '../io/safetensors.ts';
import { paramLayout } from '../model/layout.ts';
import { configOfFixture, fixtureParams, relL2 } from './dit.ts';
import { TwoNetworkSampler } from '../flm/twoNetworkSampler.ts';

/**
 * Extra allowance for a two-network step that ends at t = 1. The fixtures
 * use an exact (bisection) time map, the studio the reference's table and
 * spline (spec section 2); they agree to ~1e−13 inside (0, 1) but not at
 * α = 1, where γ(α) is ill-conditioned (dα/dγ ≈ 1e−10 near γ = 1): the
 * fixture's γ(1) is about 1 − 6e−7 against the spline's 1. The flow-map step
 * Δ·v + ½Δ²·g carries that Δ difference into the state at ~1.3e−5 (measured
 * identically on both backends, so not a rounding error). Steps that end
 * before t = 1 get no allowance.
 */
export const END_OF_TIME_ALLOWANCE = 2e-5;

export interface DistillSamplerParity {
  rows: { name: string; relErr: number; endsAtOne?: boolean }[];
  tokensChecked: number;
  tokensEqual: number;
}

export const isTwoNetworkSamplerFixture = (f: StFile): boolean => f.tensors.has('z2') && f.metadata.student_g !== undefined;
export const isFlowMapSamplerFixture = (f: StFile): boolean => f.tensors.has('one_step_probs');

function weights(backend: Backend, f: StFile) {
  const cfg = configOfFixture(f);
  const t = backend.tensor(paramLayout(cfg).total, 'weights');
  backend.write(t, fixtureParams(paramLayout(cfg), cfg, f));
  return { cfg, t };
}

/** Tokens equal where the top-two margin of the reference state exceeds 1e-3. */
function compareTokens(got: Uint32Array, want: Float32Array, ref: Float32Array, V: number) {
  let checked = 0, equal = 0;
  for (let r = 0; r < want.length; r++) {
    const row = Array.from(ref.subarray(r * V, (r + 1) * V)).sort((a, b) => b - a);
    if (row[0] - row[1] <= 1e-3) continue;
    checked++;
    if (got[r] === want[r]) equal++;
  }
  return { tokensChecked: checked, tokensEqual: equal };
}

export async function runTwoNetworkSamplerParity(backend: Backend, fixture: StFile, ditFlm: StFile, ditFlowmap: StFile): Promise<DistillSamplerParity> {
  const f = weights(backend, ditFlm), g = weights(backend, ditFlowmap);
  const z0 = fixture.tensors.get('z0')!;
  const sampler = new TwoNetworkSampler(backend, f.cfg, g.cfg, z0.shape[0], { f: f.t, g: g.t });
  try {
    const steps = Number(fixture.metadata.steps);
    const z = (k: number) => toFloat32(fixture.tensors.get(`z${k}`)!);
    const rows = [];
    for (let k = 0; k < steps; k++) {
      rows.push({ name: `two-network step ${k}→${k + 1} state`, relErr: relL2(await sampler.stepFrom(z(k), k, steps), z(k + 1)), endsAtOne: k === steps - 1 });
    }
    const { tokens } = await sampler.sample(steps, 0, undefined, z(0));
    return { rows, ...compareTokens(tokens, toFloat32(fixture.tensors.get('tokens')!), z(steps), f.cfg.vocab) };
  } finally {
    sampler.release();
    backend.release(f.t);
    backend.release(g.t);
  }
}

export async function runFlowMapSamplerParity(backend: Backend, fixture: StFile, ditFlowmap: StFile): Promise<DistillSamplerParity> {
  const d = weights(backend, ditFlowmap);
  const z0 = toFloat32(fixture.tensors.get('z0')!);
  const count = fixture.tensors.get('z0')!.shape[0];
  const sampler = new EulerSampler(backend, d.cfg, count, d.t);
  try {
    const want = (name: string) => toFloat32(fixture.tensors.get(name)!);
    const rows = [];
    const one = await sampler.sample(1, 0, undefined, z0);
    rows.push({ name: 'one step: softmax δ(z0, 0, 1)', relErr: relL2(one.z, want('one_step_probs')) });
    rows.push({ name: 'two steps: middle state', relErr: relL2(await sampler.stepFrom(z0, 0, 2), want('two_step_mid')) });
    rows.push({ name: 'two steps: final probabilities', relErr: relL2(await sampler.stepFrom(want('two_step_mid'), 1, 2), want('two_step_probs')) });
    return { rows, ...compareTokens(one.tokens, want('one_step_tokens'), want('one_step_probs'), d.cfg.vocab) };
  } finally {
    sampler.release();
    backend.release(d.t);
  }
}
