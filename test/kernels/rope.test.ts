import { describe, expect, it } from 'vitest';
import type { AttentionParams } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/rope.ts';
import { rope, ropeBackward } from '../../src/engine/kernels/rope.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('rope kernels vs the CPU reference', () => {
  const cases: [number, number, number, number][] = [
    // B, L, H, d
    [1, 1, 1, 2],
    [2, 7, 3, 6],
    [2, 37, 3, 16],
    [1, 70, 2, 64],
    [1, 5, 1, 128],
    [1, 1500, 1, 8], // long positions: angles up to ~1500 rad
  ];
  for (const [B, L, H, d] of cases) {
    it(`B=${B} L=${L} H=${H} d=${d}`, async () => {
      const gpu = await gpuBackend();
      const p: AttentionParams = { batch: B, length: L, heads: H, headDim: d, softcap: 50 };
      const n = B * L * H * d;
      const qkv = randomArray(3 * n, B * 101 + L * 7 + d, 1);
      const wq = new Float32Array(n), wk = new Float32Array(n), wv = new Float32Array(n);
      ref.rope(wq, wk, wv, qkv, p);

      const tqkv = gpu.tensor(3 * n), tq = gpu.tensor(n), tk = gpu.tensor(n), tv = gpu.tensor(n);
      gpu.write(tqkv, qkv);
      rope(gpu.ctx, tq, tk, tv, tqkv, p);
      const [gq, gk, gv] = [await gpu.read(tq), await gpu.read(tk), await gpu.read(tv)];
      expect(maxRelL2(gq, wq)).toBeLessThan(1e-5);
      expect(maxRelL2(gk, wk)).toBeLessThan(1e-5);
      expect(maxRelL2(gv, wv)).toBe(0);

      // Backward against the reference.
      const dq = randomArray(n, 11 + L, 1), dk = randomArray(n, 12 + L, 1), dv = randomArray(n, 13 + L, 1);
      const want = new Float32Array(3 * n);
      ref.ropeBackward(want, dq, dk, dv, p);
      const tdq = gpu.tensor(n), tdk = gpu.tensor(n), tdv = gpu.tensor(n), tdqkv = gpu.tensor(3 * n);
      gpu.write(tdq, dq); gpu.write(tdk, dk); gpu.write(tdv, dv);
      ropeBackward(gpu.ctx, tdqkv, tdq, tdk, tdv, p);
      const got = await gpu.read(tdqkv);
      expect(maxRelL2(got, want)).toBeLessThan(1e-5);

      // Transpose identity: <rope(x), g> = <x, ropeBackward(g)>, both on the GPU.
      const lhs = dot(gq, dq) + dot(gk, dk) + dot(gv, dv);
      const rhs = dot(qkv, got);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.sqrt(3 * n));
      for (const t of [tqkv, tq, tk, tv, tdq, tdk, tdv, tdqkv]) gpu.release(t);
    });
  }
});
