import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { runDitParity, TOLERANCES } from '../../src/parity/dit.ts';
import { fixtureBytes } from '../helpers.ts';

describe('DiT parity with the official fixtures (CPU reference backend)', () => {
  for (const name of ['dit_flm', 'dit_flowmap', 'dit_softcap']) {
    it(`${name}: logits, losses and every gradient`, async () => {
      const r = await runDitParity(new CpuBackend(), fixtureBytes(`${name}.safetensors`), name);
      const tol = TOLERANCES.cpu;
      const bad = r.rows.filter((row) => !(row.relErr <= tol[row.kind]));
      expect(bad, JSON.stringify(bad)).toEqual([]);
      // Not vacuous: every parameter's gradient was compared (the fixtures hold 30–42).
      const compared = r.rows.filter((x) => x.kind === 'grads').length;
      expect(compared).toBeGreaterThan(20);
      expect(compared).toBe(paramLayout(r.config).specs.length);
    });
  }
});
