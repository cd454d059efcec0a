import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/adamw.ts';
import * as refNorm from '../../src/engine/reference/gradNorm.ts';
import { adamw, type AdamWParams } from '../../src/engine/kernels/adamw.ts';
import { globalNormSq, gradNormScratchSize } from '../../src/engine/kernels/gradNorm.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const STEPS = 5;
const LRS = [3e-4, 1e-3, 2e-3, 5e-4, 1e-4];

function diff(a: Float32Array, b: Float32Array): Float64Array {
  return Float64Array.from(a, (x, i) => x - b[i]);
}

/** Spacing of f32 values around x. */
function ulp32(x: number): number {
  const a = Math.abs(x);
  return a < 1.2e-38 ? 1.4e-45 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Largest |got − want| in units of (ulp of want + 1e-5·|update|): ≤ 2 means "as good as f32 allows". */
function updateUlps(got: Float32Array, want: Float32Array, before: Float32Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const unit = ulp32(want[i]) + 1e-5 * Math.abs(want[i] - before[i]);
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / unit);
  }
  return worst;
}

function gradsFor(n: number, step: number): Float32Array {
  // Different magnitudes per step; a few exact zeros as in padding.
  const g = randomArray(n, 1000 * n + step, 0.1 * (step + 1));
  for (let i = 50; i < n; i += 97) g[i] = 0;
  return g;
}

describe('adamw reference', () => {
  it('first step moves each weight by ≈ lr·sign(g) (bias-corrected), decay decoupled', () => {
    const p = new Float32Array([1, -1, 0.5, 2]), g = new Float32Array([0.3, -2, 1e-3, 0]);
    const m = new Float32Array(4), v = new Float32Array(4), nsq = new Float32Array(1);
    refNorm.globalNormSq(nsq, g, 4);
    ref.adamw({ params: p, grads: g, m, v, normSq: nsq }, 4, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1, maxGradNorm: 0 });
    const d = 1 - 0.01 * 0.1;
    expect(p[0]).toBeCloseTo(1 * d - 0.01, 6);
    expect(p[1]).toBeCloseTo(-1 * d + 0.01, 6);
    expect(p[2]).toBeCloseTo(0.5 * d - 0.01, 4);
    expect(p[3]).toBeCloseTo(2 * d, 6);
  });

  it('clipping scales the gradients by max/(‖g‖ + 1e-6)', () => {
    expect(ref.clipCoefficient(25, 1)).toBeCloseTo(1 / (5 + 1e-6), 12);
    expect(ref.clipCoefficient(25, 10)).toBe(1);
    expect(ref.clipCoefficient(25, 0)).toBe(1);
  });

  it('rejects step 0', () => {
    const z = new Float32Array(1);
    expect(() => ref.adamw({ params: z, grads: z, m: z, v: z, normSq: z }, 1, { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 0, maxGradNorm: 0 })).toThrow(RangeError);
  });
});

describe('adamw kernel vs the CPU reference (compiled once, lr and step read per run)', () => {
  const configs = [
    { name: 'no clip, no decay', weightDecay: 0, clip: 0 },
    { name: 'clip active, decay', weightDecay: 0.1, clip: 0.3 },
    { name: 'clip inactive, decay', weightDecay: 0.01, clip: 10 },
  ];
  for (const n of [1, 7, 1000, 70001]) {
    for (const cfg of configs) {
      it(`n=${n}, ${cfg.name}`, async () => {
        const gpu = await gpuBackend();
        const size = n + 3; // 3 trailing elements that must stay untouched
        const p = randomArray(size, n + 1, 1), m = new Float32Array(size), v = new Float32Array(size);
        const nsq = new Float32Array(1);
        // maxGradNorm relative to the first step's gradient norm (0: no clipping).
        refNorm.globalNormSq(nsq, gradsFor(n, 0), n);
        const maxGradNorm = cfg.clip * Math.sqrt(nsq[0]);

        const tp = gpu.tensor(size), tg = gpu.tensor(size), tm = gpu.tensor(size), tv = gpu.tensor(size);
        const tn = gpu.tensor(1), ts = gpu.tensor(gradNormScratchSize(n));
        gpu.write(tp, p);
        let step = 1;
        const hp: AdamWParams = {
          lr: () => LRS[step - 1], step: () => step,
          beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay, maxGradNorm,
        };
        const prog = gpu.compile(() => {
          globalNormSq(gpu.ctx, tn, ts, tg, n);
          adamw(gpu.ctx, { params: tp, grads: tg, m: tm, v: tv, normSq: tn }, n, hp);
        });
        let worst = { dp: 0, ulps: 0, m: 0, v: 0, traj: 0 };
        let gpuState: Float32Array[] = [Float32Array.from(p), new Float32Array(size), new Float32Array(size)];
        for (step = 1; step <= STEPS; step++) {
          const g = gradsFor(n, step - 1);
          refNorm.globalNormSq(nsq, g, n);
          if (cfg.clip > 0 && cfg.clip < 1) expect(ref.clipCoefficient(nsq[0], maxGradNorm)).toBeLessThan(1);
          if (cfg.clip >= 1) expect(ref.clipCoefficient(nsq[0], maxGradNorm)).toBe(1);
          // The reference's own trajectory, and one reference step from the GPU's previous state.
          ref.adamw({ params: p, grads: g, m, v, normSq: nsq }, n, hp);
          const [qp, qm, qv] = gpuState.map((a) => Float32Array.from(a));
          ref.adamw({ params: qp, grads: g, m: qm, v: qv, normSq: nsq }, n, hp);
          gpu.write(tg, g);
          prog.run();
          const [gp, gm, gv] = [await gpu.read(tp), await gpu.read(tm), await gpu.read(tv)];
          // One step: the update itself (p − p_before) to a tight relative tolerance, and
          // elementwise within 2 ulp of p (+1e-5 of the update).
          const dp = maxRelL2(diff(gp, gpuState[0]), diff(qp, gpuState[0]));
          const ulps = updateUlps(gp, qp, gpuState[0], n);
          const em = maxRelL2(gm, qm), ev = maxRelL2(gv, qv);
          const traj = Math.max(maxRelL2(gp, p), maxRelL2(gm, m), maxRelL2(gv, v));
          worst = {
            dp: Math.max(worst.dp, dp), ulps: Math.max(worst.ulps, ulps),
            m: Math.max(worst.m, em), v: Math.max(worst.v, ev), traj: Math.max(worst.traj, traj),
          };
          // Δp is ~1e-4..1e-3 of p, so one f32 ulp of p (6e-8) is already up to ~6e-4 of Δp:
          // the ulp bound is the strict check, the relative one a coarse guard.
          expect(dp).toBeLessThan(2e-3);
          expect(ulps).toBeLessThanOrEqual(2);
          // A few f32 roundings (clip coefficient, squares) per element: n = 1 sees them unaveraged.
          expect(em).toBeLessThan(3e-6);
          expect(ev).toBeLessThan(3e-6);
          expect(traj).toBeLessThan(3e-6);
          expect(Array.from(gp.subarray(n))).toEqual(Array.from(p.subarray(n)));
          expect(Array.from(gm.subarray(n))).toEqual([0, 0, 0]);
          expect(Array.from(gv.subarray(n))).toEqual([0, 0, 0]);
          gpuState = [gp, gm, gv];
        }
        console.log(`adamw n=${n} ${cfg.name}: one step: Δp relL2 ${worst.dp.toExponential(2)} (≤ ${worst.ulps.toFixed(2)} ulp), m ${worst.m.toExponential(2)}, v ${worst.v.toExponential(2)}; trajectory ${worst.traj.toExponential(2)}`);
        for (const t of [tp, tg, tm, tv, tn, ts]) gpu.release(t);
      });
    }
  }
});

describe('adamw kernel with non-finite gradients', () => {
  for (const [label, bad] of [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity]] as const) {
    for (const maxGradNorm of [0, 1]) {
      it(`${label} gradient, maxGradNorm=${maxGradNorm}: params, m and v unchanged, then a good step works`, async () => {
        const gpu = await gpuBackend();
        const n = 1000;
        const p = randomArray(n, 5, 1), m = new Float32Array(n), v = new Float32Array(n), nsq = new Float32Array(1);
        const tp = gpu.tensor(n), tg = gpu.tensor(n), tm = gpu.tensor(n), tv = gpu.tensor(n);
        const tn = gpu.tensor(1), ts = gpu.tensor(gradNormScratchSize(n));
        gpu.write(tp, p);
        let step = 1;
        const hp: AdamWParams = { lr: 1e-3, step: () => step, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, maxGradNorm };
        const prog = gpu.compile(() => {
          globalNormSq(gpu.ctx, tn, ts, tg, n);
          adamw(gpu.ctx, { params: tp, grads: tg, m: tm, v: tv, normSq: tn }, n, hp);
        });
        const run = async (g: Float32Array): Promise<Float32Array[]> => {
          refNorm.globalNormSq(nsq, g, n);
          ref.adamw({ params: p, grads: g, m, v, normSq: nsq }, n, hp);
          gpu.write(tg, g);
          prog.run();
          return [await gpu.read(tp), await gpu.read(tm), await gpu.read(tv), await gpu.read(tn)];
        };
        // A good step so that m and v are non-zero.
        const [p1, m1, v1] = await run(randomArray(n, 6, 1));
        expect(maxRelL2(p1, p)).toBeLessThan(1e-6);
        const [rp, rm, rv] = [Float32Array.from(p), Float32Array.from(m), Float32Array.from(v)];
        step = 2;
        const g = randomArray(n, 7, 1);
        g[123] = bad;
        const [gp, gm, gv, gn] = await run(g);
        expect(Number.isFinite(gn[0])).toBe(false);
        // GPU and reference both bit-identical to their state before the bad step.
        expect(Array.from(gp)).toEqual(Array.from(p1));
        expect(Array.from(gm)).toEqual(Array.from(m1));
        expect(Array.from(gv)).toEqual(Array.from(v1));
        expect(Array.from(p)).toEqual(Array.from(rp));
        expect(Array.from(m)).toEqual(Array.from(rm));
        expect(Array.from(v)).toEqual(Array.from(rv));
        // The trainer retries with the same step number; a good step then matches the reference.
        const [gp2, gm2, gv2] = await run(randomArray(n, 8, 1));
        expect(maxRelL2(gp2, p)).toBeLessThan(1e-6);
        expect(maxRelL2(gm2, m)).toBeLessThan(1e-5);
        expect(maxRelL2(gv2, v)).toBeLessThan(1e-5);
        for (const t of [tp, tg, tm, tv, tn, ts]) gpu.release(t);
      });
    }
  }

  it('a NaN written directly into normSq skips the step (bit-exact), uncompiled call', async () => {
    const gpu = await gpuBackend();
    const n = 7;
    const p = randomArray(n, 9, 1), m = randomArray(n, 10, 0.1), v = randomArray(n, 11, 0.01).map(Math.abs);
    const tp = gpu.tensor(n), tg = gpu.tensor(n), tm = gpu.tensor(n), tv = gpu.tensor(n), tn = gpu.tensor(1);
    gpu.write(tp, p); gpu.write(tg, randomArray(n, 12, 1)); gpu.write(tm, m); gpu.write(tv, v);
    for (const bad of [NaN, Infinity]) {
      gpu.write(tn, new Float32Array([bad]));
      adamw(gpu.ctx, { params: tp, grads: tg, m: tm, v: tv, normSq: tn }, n, { lr: 1, step: 3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, maxGradNorm: 0 });
      expect(Array.from(await gpu.read(tp))).toEqual(Array.from(p));
      expect(Array.from(await gpu.read(tm))).toEqual(Array.from(m));
      expect(Array.from(await gpu.read(tv))).toEqual(Array.from(v));
    }
  });
});
