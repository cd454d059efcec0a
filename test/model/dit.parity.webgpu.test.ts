import { describe, expect, it } from 'vitest';
import { runDitParity, TOLERANCES } from '../../src/parity/dit.ts';
import { gpuBackend } from '../gpu.ts';
import { fixtureBytes } from '../helpers.ts';

describe('DiT parity with the official fixtures (WebGPU, Dawn in Node)', () => {
  for (const name of ['dit_flm', 'dit_flowmap', 'dit_softcap']) {
    it(`${name}: logits, losses and every gradient`, async () => {
      const r = await runDitParity(await gpuBackend(), fixtureBytes(`${name}.safetensors`), name);
      const tol = TOLERANCES.webgpu;
      const bad = r.rows.filter((row) => !(row.relErr <= tol[row.kind]));
      expect(bad, JSON.stringify(bad)).toEqual([]);
    });
  }
});
