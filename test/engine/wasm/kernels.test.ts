import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../../src/engine/cpu/cpuBackend.ts';
import { WasmBackend } from '../../../src/engine/wasm/wasmBackend.ts';
import { cases, compare, type Check } from '../../kernels/cases.ts';

/**
 * Every case of the table on the wasm backend against the reference; and
 * again with every kernel call split into 3 unit ranges run in reverse
 * order (what a worker pool would do), which must give the same bits.
 */
describe('wasm kernels vs the CPU reference (one table of cases)', () => {
  it('the table covers every op of the contract', () => {
    const ops = Object.keys(new CpuBackend().ops).filter((k) => k !== 'gradNormScratchSize').sort();
    expect([...new Set(cases.map((c) => c.op))].sort()).toEqual(ops);
  });

  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const want = await c.run(new CpuBackend());
      const got = await c.run(await WasmBackend.create({ initialPages: 16 }));
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [name, w] of Object.entries(want)) {
        const check: Check = 'relL2' in c.check || 'abs' in c.check || 'elem' in c.check || 'exact' in c.check
          ? c.check as Check : (c.check as Record<string, Check>)[name];
        expect(check, `no check for output ${name}`).toBeDefined();
        expect(compare(got[name], w, check), name).toBe('');
      }
      const split = await c.run(await WasmBackend.create({ initialPages: 16, partitions: 3 }));
      for (const [name, g] of Object.entries(got)) expect(compare(split[name], g, { exact: true }), `${name}, 3 partitions`).toBe('');
    });
  }
});
