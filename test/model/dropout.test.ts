/**
 * Dropout on the residual branches: the backward pass regenerates the same
 * masks (checked against finite differences of the loss on the CPU reference),
 * and WebGPU draws exactly the same masks as the CPU reference.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { DiT, type DropoutSpec } from '../../src/model/dit.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const cfg = defaultConfig({ vocab: 9, length: 6, hidden: 16, heads: 2, blocks: 2, cond: 8 });
const B = 2;
const spec: DropoutSpec = { p: 0.3, seed: 99, counter: 5 };

function setup(backend: Backend) {
  const m = new DiT(backend, cfg, B, { dropout: true });
  const params = new Float32Array(m.layout.total);
  m.layout.specs.forEach((s, i) => params.set(randomArray(s.size, 10 + i, 0.4), s.offset));
  backend.write(m.params, params);
  backend.write(m.x, randomArray(B * cfg.length * cfg.vocab, 3, 1));
  backend.write(m.t, Float32Array.from([0.3, 0.8]));
  backend.write(m.targets, new Uint32Array(B * cfg.length).map((_, i) => (i * 5) % cfg.vocab));
  return { m, params };
}

async function lossAndGrads(backend: Backend, d: DropoutSpec | undefined) {
  const { m, params } = setup(backend);
  m.forward({ dropout: d });
  m.crossEntropyLoss();
  m.backward({ dropout: d });
  return { m, params, loss: (await backend.read(m.loss))[0], grads: await backend.read(m.grads) };
}

describe('DiT with dropout', () => {
  it('changes the output, and p = 0 equals no dropout', async () => {
    const cpu = new CpuBackend();
    const a = await lossAndGrads(cpu, undefined);
    const b = await lossAndGrads(cpu, spec);
    const c = await lossAndGrads(cpu, { ...spec, p: 0 });
    expect(b.loss).not.toBe(a.loss);
    expect(c.loss).toBe(a.loss);
  });

  it('backward matches finite differences of the loss (same masks regenerated)', async () => {
    const cpu = new CpuBackend();
    const { m, params, grads } = await lossAndGrads(cpu, spec);
    const lossAt = async (p: Float32Array) => {
      cpu.write(m.params, p);
      m.forward({ dropout: spec });
      m.crossEntropyLoss();
      return (await cpu.read(m.loss))[0];
    };
    const P = m.layout.params;
    for (const s of [P.blocks[0].mlp2.weight, P.blocks[1].attnOut.weight, P.blocks[0].attnQkv.weight]) {
      // the coordinate with the largest gradient, for a well-conditioned difference
      let best = s.offset;
      for (let i = s.offset; i < s.offset + s.size; i++) if (Math.abs(grads[i]) > Math.abs(grads[best])) best = i;
      const h = 1e-2;
      const plus = Float32Array.from(params); plus[best] += h;
      const minus = Float32Array.from(params); minus[best] -= h;
      const fd = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * h);
      expect(Math.abs(fd - grads[best]) / Math.abs(grads[best]), s.name).toBeLessThan(2e-2);
    }
  });

  it('WebGPU draws the same masks: logits and gradients match the CPU reference', async () => {
    const cpu = await lossAndGrads(new CpuBackend(), spec);
    const gpu = await gpuBackend();
    const g = await lossAndGrads(gpu, spec);
    expect(maxRelL2(await gpu.read(g.m.logits), await new CpuBackend().read(cpu.m.logits))).toBeLessThan(1e-4);
    expect(maxRelL2(g.grads, cpu.grads)).toBeLessThan(1e-3);
  });
});
