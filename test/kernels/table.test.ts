import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { gpuBackend } from '../gpu.ts';
import { cases, compare, type Check } from './cases.ts';

/**
 * The table of kernel cases (cases.ts) that holds the WebAssembly backend to
 * the reference (test/engine/wasm/kernels.test.ts), run on the WebGPU
 * backend: one set of cases and tolerances for every backend. The kernel
 * files beside this one add each WGSL kernel's own edge cases.
 */
describe('WebGPU kernels vs the CPU reference (the table of cases every backend runs)', () => {
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const want = await c.run(new CpuBackend());
      const got = await c.run(await gpuBackend());
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [name, w] of Object.entries(want)) {
        const check: Check = c.webgpuCheck ?? ('relL2' in c.check || 'abs' in c.check || 'elem' in c.check || 'exact' in c.check
          ? c.check as Check : (c.check as Record<string, Check>)[name]);
        expect(compare(got[name], w, check), name).toBe('');
      }
    });
  }
});
