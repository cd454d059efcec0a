import { describe, expect, it } from 'vitest';
import * as host from '../../src/engine/host/philox.ts';
import * as ref from '../../src/engine/reference/noise.ts';
import { gaussian, philoxWords } from '../../src/engine/kernels/noise.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2 } from '../helpers.ts';

function refWords(n: number, seed: number, counter: number): Uint32Array {
  const [k0, k1] = host.seedKey(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = host.philox4x32(Math.floor(i / 4) >>> 0, counter >>> 0, 0, 0, k0, k1)[i % 4];
  return out;
}

const STREAMS: [number, number][] = [[0, 0], [1, 0], [0, 1], [12345, 7], [2 ** 32 + 5, 3], [2 ** 53 - 1, 2 ** 32 - 1], [0xdeadbeef, 123456789]];

describe('Philox4x32-10 words', () => {
  it('known-answer vectors (Random123 kat_vectors)', () => {
    // philox4x32_10: counter 0, key 0 → 6627e8d5 e169c58d bc57ac4c 9b00dbd8;
    // counter ffffffff×4, key ffffffff×2 → 408f276d 41c83b0e a20bc7c6 6d5451fd.
    expect(host.philox4x32(0, 0, 0, 0, 0, 0)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    const m = 0xffffffff;
    expect(host.philox4x32(m, m, m, m, m, m)).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
  });

  for (const [seed, counter] of STREAMS) {
    it(`bit-identical to the reference, seed=${seed} counter=${counter}`, async () => {
      const gpu = await gpuBackend();
      const n = 4 * 1024 + 3;
      const tw = gpu.tensor(n, 'words', 'u32');
      philoxWords(gpu.ctx, tw, n, seed, counter);
      const got = await gpu.readU32(tw);
      const want = refWords(n, seed, counter);
      let mismatches = 0;
      for (let i = 0; i < n; i++) if (got[i] !== want[i]) mismatches++;
      expect(mismatches).toBe(0);
    });
  }
});

describe('gaussian kernel', () => {
  for (const [seed, counter] of STREAMS) {
    it(`matches the reference, seed=${seed} counter=${counter}`, async () => {
      const gpu = await gpuBackend();
      const n = 8192;
      const want = new Float32Array(n);
      ref.gaussian(want, n, seed, counter);
      const to = gpu.tensor(n);
      gaussian(gpu.ctx, to, n, seed, counter);
      const got = await gpu.read(to);
      expect(maxRelL2(got, want)).toBeLessThan(1e-6);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it('n not a multiple of 4: elements past n untouched, prefix equals a longer stream', async () => {
    const gpu = await gpuBackend();
    for (const n of [1, 2, 3, 5, 10, 1023]) {
      const size = n + 6;
      const to = gpu.tensor(size);
      gpu.write(to, new Float32Array(size).fill(42));
      gaussian(gpu.ctx, to, n, 99, 4);
      const got = await gpu.read(to);
      const want = new Float32Array(n + 3);
      ref.gaussian(want, n + 3, 99, 4);
      expect(maxRelL2(got.subarray(0, n), want.subarray(0, n))).toBeLessThan(1e-6);
      expect(Array.from(got.subarray(n))).toEqual(new Array(6).fill(42));
    }
  });

  it('mean ≈ 0, variance ≈ 1, tails and pairs uncorrelated on 1e5 samples', async () => {
    const gpu = await gpuBackend();
    const n = 100_000;
    const to = gpu.tensor(n);
    gaussian(gpu.ctx, to, n, 2024, 0);
    const x = await gpu.read(to);
    let s = 0, s2 = 0, s4 = 0, within1 = 0, cross = 0;
    for (let i = 0; i < n; i++) {
      s += x[i]; s2 += x[i] * x[i]; s4 += x[i] ** 4;
      if (Math.abs(x[i]) < 1) within1++;
      if (i % 2 === 0) cross += x[i] * x[i + 1];
    }
    const mean = s / n, variance = s2 / n - mean * mean;
    // Standard errors: mean 1/√n ≈ 0.0032, variance √(2/n) ≈ 0.0045.
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.15); // kurtosis of a normal
    expect(Math.abs(within1 / n - 0.6826894921)).toBeLessThan(0.006);
    expect(Math.abs(cross / (n / 2))).toBeLessThan(0.02);
  });

  it('different seeds and counters give different streams; same stream is reproducible', async () => {
    const gpu = await gpuBackend();
    const n = 4096;
    const read = async (seed: number, counter: number): Promise<Float32Array> => {
      const t = gpu.tensor(n);
      gaussian(gpu.ctx, t, n, seed, counter);
      return gpu.read(t);
    };
    const a = await read(1, 0), b = await read(2, 0), c = await read(1, 1), d = await read(1 + 2 ** 32, 0), e = await read(1, 0);
    expect(Array.from(e)).toEqual(Array.from(a));
    for (const other of [b, c, d]) {
      let same = 0;
      for (let i = 0; i < n; i++) if (other[i] === a[i]) same++;
      expect(same).toBeLessThan(4);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += other[i] * a[i];
      expect(Math.abs(dot / n)).toBeLessThan(0.1);
    }
  });

  it('extreme uniforms (u1 at both ends, every quadrant of θ) match the reference', async () => {
    // Find blocks whose first word is in the lowest/highest 2^-10 of the range by scanning the reference stream.
    const gpu = await gpuBackend();
    const n = 4 * 65536;
    const want = new Float32Array(n);
    ref.gaussian(want, n, 777, 1);
    const to = gpu.tensor(n);
    gaussian(gpu.ctx, to, n, 777, 1);
    const got = await gpu.read(to);
    const [k0, k1] = host.seedKey(777);
    let tails = 0, worst = 0;
    for (let blk = 0; blk < n / 4; blk++) {
      const w = host.philox4x32(blk, 1, 0, 0, k0, k1);
      for (const pair of [0, 1]) {
        const u1 = host.toUnit(w[2 * pair]);
        if (u1 < 1 / 1024 || u1 > 1 - 1 / 1024) {
          tails++;
          for (const j of [0, 1]) {
            const i = blk * 4 + pair * 2 + j;
            worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i])));
          }
        }
      }
    }
    expect(tails).toBeGreaterThan(100);
    expect(worst).toBeLessThan(2e-6);
    expect(maxRelL2(got, want)).toBeLessThan(1e-6);
  });
});
