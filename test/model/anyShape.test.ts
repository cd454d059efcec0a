/**
 * The parity path works for any model shape, not only the fixtures': build a
 * fixture file of another shape from the CPU reference (random non-zero
 * weights everywhere) and check the WebGPU backend against it, through the
 * same code the `flm parity` command runs.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { ropeInvFreq } from '../../src/engine/host/rope.ts';
import { writeSafetensors, type StTensor } from '../../src/io/safetensors.ts';
import { configToMetadata, defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { runDitParity, TOLERANCES } from '../../src/parity/dit.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

async function makeFixture(cfg: DiTConfig, batch: number, seed: number): Promise<Uint8Array> {
  const cpu = new CpuBackend();
  const m = new DiT(cpu, cfg, batch);
  const params = new Float32Array(m.layout.total);
  m.layout.specs.forEach((s, i) => params.set(randomArray(s.size, seed * 100 + i, 0.3), s.offset));
  cpu.write(m.params, params);
  const R = batch * cfg.length;
  const x = randomArray(R * cfg.vocab, seed + 1, 1.5);
  const t = randomArray(batch, seed + 2, 0.5).map((v) => v + 0.5);
  const tp = randomArray(batch, seed + 3, 0.5).map((v) => v + 0.5);
  const x0 = new Int32Array(R).map((_, i) => (i * 7 + seed) % cfg.vocab);
  cpu.write(m.x, x); cpu.write(m.t, t); if (m.tPrime) cpu.write(m.tPrime, tp);
  cpu.write(m.targets, Uint32Array.from(x0));
  m.forward(); m.crossEntropyLoss(); m.backward();
  const f32 = (data: Float32Array, shape: number[]): StTensor => ({ dtype: 'F32', shape, data });
  const tensors: Record<string, StTensor> = {
    xt: f32(x, [batch, cfg.length, cfg.vocab]), t: f32(t, [batch]), x0: { dtype: 'I32', shape: [batch, cfg.length], data: x0 },
    logits: f32(await cpu.read(m.logits), [batch, cfg.length, cfg.vocab]),
    ce: f32(await cpu.read(m.ce), [batch, cfg.length]),
    per_token_loss: f32(await cpu.read(m.perToken), [batch, cfg.length]),
    loss: f32(await cpu.read(m.loss), [1]),
    'param.rotary_emb.inv_freq': f32(ropeInvFreq(cfg.hidden / cfg.heads), [cfg.hidden / cfg.heads / 2]),
  };
  if (m.tPrime) tensors.t_prime = f32(tp, [batch]);
  const grads = await cpu.read(m.grads);
  for (const s of m.layout.specs) {
    tensors[`param.${s.name}`] = f32(params.slice(s.offset, s.offset + s.size), s.shape);
    tensors[`grad.${s.name}`] = f32(grads.slice(s.offset, s.offset + s.size), s.shape);
  }
  return writeSafetensors(tensors, { ...configToMetadata(cfg), batch: String(batch) });
}

describe('parity for shapes other than the fixtures', () => {
  const shapes: [string, DiTConfig, number][] = [
    ['V11 L9 D24 H2 3 blocks two-time + loss weighting', defaultConfig({ vocab: 11, length: 9, hidden: 24, heads: 2, blocks: 3, cond: 8, twoTime: true, lossWeighting: true }), 2],
    ['V70 L33 D48 H6 1 block softcap 5', defaultConfig({ vocab: 70, length: 33, hidden: 48, heads: 6, blocks: 1, cond: 20, softcap: 5 }), 3],
  ];
  for (const [name, cfg, batch] of shapes) {
    it(`WebGPU matches the CPU reference: ${name}`, async () => {
      const bytes = await makeFixture(cfg, batch, 7);
      const cpu = await runDitParity(new CpuBackend(), bytes, name);
      expect(cpu.max.grads).toBeLessThan(1e-6);
      const r = await runDitParity(await gpuBackend(), bytes, name);
      const tol = TOLERANCES.webgpu;
      const bad = r.rows.filter((row) => !(row.relErr <= tol[row.kind]));
      expect(bad, JSON.stringify(bad)).toEqual([]);
    });
  }
});
