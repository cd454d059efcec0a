import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { DiT } from '../../src/model/dit.ts';
import { configOfFixture, loadParams } from '../../src/parity/dit.ts';
import { readSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { gpuBackend } from '../gpu.ts';
import { fixtureBytes } from '../helpers.ts';

describe('an inference-only DiT', () => {
  it('gives the same logits as a trainable one, refuses backward, and allocates about 40 % less device memory', async () => {
    const f = readSafetensors(fixtureBytes('dit_flm.safetensors'));
    const cfg = configOfFixture(f);
    const gpu = await gpuBackend();
    for (const backend of [new CpuBackend(), gpu]) {
      const before = gpu.ctx.createdBytes;
      const full = new DiT(backend, cfg, 3);
      const mid = gpu.ctx.createdBytes;
      const lean = new DiT(backend, cfg, 3, { inference: true });
      const after = gpu.ctx.createdBytes;
      for (const m of [full, lean]) {
        loadParams(m, f);
        backend.write(m.x, toFloat32(f.tensors.get('xt')!));
        backend.write(m.t, toFloat32(f.tensors.get('t')!));
        m.forward();
      }
      expect(await backend.read(lean.logits)).toEqual(await backend.read(full.logits));
      expect(() => lean.backward()).toThrow(/inference only/);
      if (backend === gpu) {
        console.log(`device bytes created: trainable ${mid - before}, inference-only ${after - mid}`);
        expect(after - mid).toBeLessThan(0.65 * (mid - before)); // 0.60 for this shape: its own weights and the forward activations stay
      }
      full.release();
      lean.release();
    }
  });
});
