import { describe, expect, it } from 'vitest';
import type { AttentionParams } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/attention.ts';
import { attention, attentionBackward } from '../../src/engine/kernels/attention.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

interface Case { B: number; L: number; H: number; d: number; softcap: number; qkScale: number }

const cases: Case[] = [
  { B: 1, L: 1, H: 1, d: 2, softcap: 50, qkScale: 1 },
  { B: 2, L: 7, H: 3, d: 6, softcap: 50, qkScale: 1 },
  { B: 2, L: 37, H: 3, d: 16, softcap: 0, qkScale: 1 },
  { B: 2, L: 70, H: 3, d: 16, softcap: 50, qkScale: 1 }, // two query blocks, a partial key tile
  { B: 1, L: 70, H: 2, d: 64, softcap: 50, qkScale: 1 },
  { B: 1, L: 70, H: 2, d: 64, softcap: 0, qkScale: 1 },
  // |q·k/√d| up to ~100+: the cap really bites (tanh saturates, 1 − tanh² small).
  { B: 1, L: 37, H: 2, d: 16, softcap: 50, qkScale: 10 },
  { B: 1, L: 33, H: 1, d: 128, softcap: 50, qkScale: 1 },
  { B: 2, L: 130, H: 1, d: 8, softcap: 50, qkScale: 2 }, // three query blocks, many key tiles
];

describe('attention kernels vs the CPU reference', () => {
  for (const { B, L, H, d, softcap, qkScale } of cases) {
    it(`B=${B} L=${L} H=${H} d=${d} softcap=${softcap} qk×${qkScale}`, async () => {
      const gpu = await gpuBackend();
      const p: AttentionParams = { batch: B, length: L, heads: H, headDim: d, softcap };
      const n = B * H * L * d, na = B * H * L * L;
      const seed = L * 1000 + d * 10 + H;
      const q = randomArray(n, seed + 1, qkScale), k = randomArray(n, seed + 2, qkScale);
      const v = randomArray(n, seed + 3, 1), dout = randomArray(n, seed + 4, 1);

      if (qkScale >= 10) {
        // Make sure the cap really bites: raw scaled scores well beyond c.
        let mx = 0;
        for (let bh = 0; bh < B * H; bh++) for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += q[(bh * L + i) * d + c] * k[(bh * L + j) * d + c];
          mx = Math.max(mx, Math.abs(s / Math.sqrt(d)));
        }
        expect(mx).toBeGreaterThan(1.5 * softcap);
      }
      const wo = new Float32Array(n), watt = new Float32Array(na);
      ref.attention(wo, watt, q, k, v, p);
      const wdq = new Float32Array(n), wdk = new Float32Array(n), wdv = new Float32Array(n), wsc = new Float32Array(na);
      ref.attentionBackward(wdq, wdk, wdv, wsc, dout, watt, q, k, v, wo, p);

      const [tq, tk, tv, to, tdout, tdq, tdk, tdv] = Array.from({ length: 8 }, () => gpu.tensor(n));
      const tatt = gpu.tensor(na), tsc = gpu.tensor(na);
      gpu.write(tq, q); gpu.write(tk, k); gpu.write(tv, v); gpu.write(tdout, dout);
      // Stale contents must not matter.
      gpu.write(tatt, randomArray(na, 7, 3)); gpu.write(tsc, randomArray(na, 8, 3));
      gpu.write(tdq, randomArray(n, 9, 3)); gpu.write(tdk, randomArray(n, 10, 3)); gpu.write(tdv, randomArray(n, 11, 3));

      attention(gpu.ctx, to, tatt, tq, tk, tv, p);
      attentionBackward(gpu.ctx, tdq, tdk, tdv, tsc, tdout, tatt, tq, tk, tv, to, p);
      const got = {
        o: maxRelL2(await gpu.read(to), wo),
        att: maxRelL2(await gpu.read(tatt), watt),
        dR: maxRelL2(await gpu.read(tsc), wsc),
        dq: maxRelL2(await gpu.read(tdq), wdq),
        dk: maxRelL2(await gpu.read(tdk), wdk),
        dv: maxRelL2(await gpu.read(tdv), wdv),
      };
      if (process.env.ATTN_VERBOSE) console.log(JSON.stringify({ B, L, H, d, softcap, qkScale, ...got }));
      // Measured on SwiftShader: ≤ 3e-7, and ≤ 2e-6 where |scores| ~ 100 (f32 rounding of
      // the large dot products); the kernels use their own tanh, so drivers agree.
      for (const [name, err] of Object.entries(got)) expect(err, name).toBeLessThan(1e-5);
      for (const t of [tq, tk, tv, to, tdout, tdq, tdk, tdv, tatt, tsc]) gpu.release(t);
    });
  }

  it('the reference backward matches finite differences of the forward (softcap 2)', async () => {
    // Independent check of the reference's backward: ⟨dO, o(x + εu) − o(x − εu)⟩ / 2ε = ⟨∇, u⟩.
    const p: AttentionParams = { batch: 1, length: 5, heads: 1, headDim: 4, softcap: 2 };
    const n = 20;
    const x = [randomArray(n, 21, 2), randomArray(n, 22, 2), randomArray(n, 23, 1)];
    const dout = randomArray(n, 24, 1);
    const o = new Float32Array(n), att = new Float32Array(25);
    ref.attention(o, att, x[0], x[1], x[2], p);
    const g = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    ref.attentionBackward(g[0], g[1], g[2], new Float32Array(25), dout, att, x[0], x[1], x[2], o, p);
    const eps = 1e-2;
    for (let w = 0; w < 3; w++) {
      const u = randomArray(n, 30 + w, 1);
      const f = (sign: number): number => {
        const xs = x.map((a) => Float32Array.from(a));
        for (let i = 0; i < n; i++) xs[w][i] += sign * eps * u[i];
        const oo = new Float32Array(n);
        ref.attention(oo, new Float32Array(25), xs[0], xs[1], xs[2], p);
        let s = 0;
        for (let i = 0; i < n; i++) s += oo[i] * dout[i];
        return s;
      };
      const fd = (f(1) - f(-1)) / (2 * eps);
      let an = 0;
      for (let i = 0; i < n; i++) an += g[w][i] * u[i];
      expect(Math.abs(fd - an)).toBeLessThan(2e-3 * Math.max(1, Math.abs(an)));
    }
  });
});
