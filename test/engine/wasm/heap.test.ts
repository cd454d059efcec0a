import { describe, expect, it } from 'vitest';
import * as host from '../../../src/engine/host/philox.ts';
import { WasmHeap } from '../../../src/engine/wasm/heap.ts';
import { WasmBackend } from '../../../src/engine/wasm/wasmBackend.ts';
import { CpuBackend } from '../../../src/engine/cpu/cpuBackend.ts';

describe('wasm heap', () => {
  it('aligns to 64 bytes, zero-fills, reuses freed blocks (first fit, coalesced) and grows the memory', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const heap = new WasmHeap(memory, 1000);
    const a = heap.alloc(10), b = heap.alloc(100), c = heap.alloc(64);
    expect([a % 64, b % 64, c % 64]).toEqual([0, 0, 0]);
    expect(a).toBeGreaterThanOrEqual(1000);
    expect(b - a).toBe(64);
    expect(c - b).toBe(128);
    new Uint8Array(memory.buffer, b, 128).fill(7);
    heap.release(a);
    heap.release(b); // coalesces with a: 192 bytes free at a
    expect(heap.alloc(150)).toBe(a);
    expect(Array.from(new Uint8Array(memory.buffer, a, 150)).every((x) => x === 0)).toBe(true);
    const big = heap.alloc(200_000); // past the first page
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 200_000);
    heap.release(big);
    heap.release(c);
    expect(heap.alloc(64)).toBe(c); // the top came back down
    expect(() => heap.alloc(10 * 65536 * 100)).toThrow(RangeError);
  });

  it('views, writes, reads and dtype checks of the backend', async () => {
    const b = await WasmBackend.create({ initialPages: 1 });
    const t = b.tensor(10, 't'), u = b.tensor(4, 'u', 'u32');
    b.write(t, Float32Array.from([1, 2, 3]), 7);
    const v = b.view(t, 6, 4);
    expect(Array.from(await b.read(v))).toEqual([0, 1, 2, 3]);
    expect(() => b.view(t, 8, 4)).toThrow(RangeError);
    expect(() => b.write(t, new Float32Array(4), 7)).toThrow(RangeError);
    b.write(u, Uint32Array.from([5, 6, 7, 0xffffffff]));
    expect(Array.from(await b.readU32(u))).toEqual([5, 6, 7, 0xffffffff]);
    expect(() => b.ops.silu(u, t, 4)).toThrow(TypeError);
    expect(() => b.ops.silu(t, t, 11)).toThrow(RangeError);
    expect(() => b.ops.silu(new CpuBackend().tensor(4), t, 4)).toThrow(TypeError);
    expect(b.name).toBe('wasm');
  });

  it('Philox words are bit-identical to the host generator (Random123 streams)', async () => {
    const b = await WasmBackend.create({ initialPages: 1 });
    for (const [seed, counter] of [[0, 0], [12345, 7], [2 ** 32 + 5, 3], [2 ** 53 - 1, 2 ** 32 - 1]]) {
      const n = 4 * 1024 + 3, out = b.tensor(n, 'w', 'u32');
      b.philoxWords(out, n, seed, counter);
      const got = await b.readU32(out);
      const [k0, k1] = host.seedKey(seed);
      let mismatches = 0;
      for (let i = 0; i < n; i++) if (got[i] !== host.philox4x32(Math.floor(i / 4), counter >>> 0, 0, 0, k0, k1)[i % 4]) mismatches++;
      expect(mismatches).toBe(0);
    }
  });
});
