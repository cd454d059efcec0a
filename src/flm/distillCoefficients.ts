/**
 * Host-side per-batch coefficients of the flow-map updates (spec sections
 * 6–7), in the [B·3] layout of `lincomb3`: out = c0·x + c1·y + c2·z.
 * σ(γ) = 1 − γ + 1e−5 is the denominator of the FLM velocity
 * v(x, s) = (softmax f(x, s) − x)/σ(γ_s).
 */

export const sigma = (gamma: number): number => 1 - gamma + 1e-5;

/**
 * One flow-map step X_{s,t}(x) = x + Δ·v_f(x, s) + ½Δ²·g(x, s, t) as
 * (x, D = softmax f(x, s), g): [1 − Δ/σ_s, Δ/σ_s, ½Δ²]. It is x_u of the
 * stage-1 bootstrap, the stage-2 target F, and the two-network sampler step.
 */
export function flowMapStep(gs: ArrayLike<number>, gt: ArrayLike<number>): Float32Array {
  const c = new Float32Array(3 * gs.length);
  for (let b = 0; b < gs.length; b++) {
    const d = gt[b] - gs[b], k = d / sigma(gs[b]);
    c.set([1 - k, k, 0.5 * d * d], 3 * b);
  }
  return c;
}

/**
 * Δ·(v_f + ½Δ·g) = Δ·v over (x, D, g): [−Δ/σ_s, Δ/σ_s, ½Δ²] (the Δ1·v_su and
 * Δ2·v_ut halves of the bootstrap).
 */
export function scaledVelocity(gs: ArrayLike<number>, gt: ArrayLike<number>): Float32Array {
  const c = flowMapStep(gs, gt);
  for (let b = 0; b < gs.length; b++) c[3 * b] -= 1;
  return c;
}

export interface Stage1Coefficients {
  /** x_u = X_{s,u}(x_s) over (x_s, D_s, g_su). */
  xu: Float32Array;
  /** Δ1·v_su over (x_s, D_s, g_su). */
  half1: Float32Array;
  /** Δ2·v_ut over (x_u, D_u, g_ut). */
  half2: Float32Array;
  /** x_boot = x_s + (1 − γ_s)/Δ·(Δ1·v_su + Δ2·v_ut) over (x_s, half1, half2). */
  boot: Float32Array;
  /** x_boot − D_s over (x_boot, D_s, ·). */
  target: Float32Array;
  /** c = ½·Δ·(1 − γ_s): f_final = D_s + c·g(x_s, s, t). [B] */
  pred: Float32Array;
}

export function stage1Coefficients(gs: ArrayLike<number>, gu: ArrayLike<number>, gt: ArrayLike<number>): Stage1Coefficients {
  const B = gs.length;
  const boot = new Float32Array(3 * B), target = new Float32Array(3 * B), pred = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const d = gt[b] - gs[b];
    const k = (1 - gs[b]) / d;
    boot.set([1, k, k], 3 * b);
    target.set([1, -1, 0], 3 * b);
    pred[b] = 0.5 * d * (1 - gs[b]);
  }
  return { xu: flowMapStep(gs, gu), half1: scaledVelocity(gs, gu), half2: scaledVelocity(gu, gt), boot, target, pred };
}

/** a = Δ/σ_s: the student's F̂ = x_s + a·(softmax δ − x_s). [B] */
export function stage2Scale(gs: ArrayLike<number>, gt: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: gs.length }, (_, b) => (gt[b] - gs[b]) / sigma(gs[b]));
}
