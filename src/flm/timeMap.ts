/**
 * FLM time map: model time t (= α, the "discrete diffusion level") versus the
 * interpolation parameter γ, for a vocabulary of K ≥ 2 tokens.
 *
 *   q(γ) = E_{z~N(0,1)} [ Φ(z + γ/(1−γ))^(K−1) ]
 *   α(γ) = K/(K−1) · (q(γ) − 1/K) + (γ − 1)·1e−10,  clipped to [0, 1]
 *
 * The expectation is evaluated with 100-node Gauss–Hermite quadrature exactly
 * like the reference implementation (so quadrature artefacts are reproduced),
 * log Φ through a numerically stable log-ndtr and the power as
 * exp((K−1)·log Φ). The inverse α → γ is a monotone cubic (PCHIP) interpolant
 * of a uniform γ table.
 *
 * Pure TypeScript, no Node-only APIs (runs in browsers and workers).
 */

const SQRT_PI = Math.sqrt(Math.PI);
const LN2 = Math.LN2;

/** Number of Gauss–Hermite nodes used by the reference computation. */
export const GH_NODES = 100;

// ---------------------------------------------------------------------------
// Gauss–Hermite quadrature (physicists' weight e^{−x²})
// ---------------------------------------------------------------------------

/**
 * Evaluates the orthonormal Hermite polynomial p_n(x) (orthonormal w.r.t.
 * e^{−x²}) and p_{n−1}(x) with the stable three-term recurrence.
 */
function hermiteOrthonormal(n: number, x: number): [number, number] {
  let p1 = 1 / Math.sqrt(SQRT_PI); // p_0 = π^{−1/4}
  let p2 = 0; // p_{−1}
  for (let j = 1; j <= n; j++) {
    const p3 = p2;
    p2 = p1;
    p1 = x * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
  }
  return [p1, p2];
}

/**
 * Nodes (ascending) and weights of n-point Gauss–Hermite quadrature for
 * ∫ f(x) e^{−x²} dx, computed with Newton's method on the orthonormal
 * recurrence, started from asymptotic initial guesses for the largest roots and
 * extrapolated guesses for the others. Weights sum to √π.
 */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gaussHermite: n must be a positive integer, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const m = (n + 1) >> 1; // roots are symmetric; find the non-negative half
  const pos = new Float64Array(m); // pos[i] = i-th largest root
  const posW = new Float64Array(m);
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -1 / 6);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * pos[0];
    else if (i === 3) z = 1.91 * z - 0.91 * pos[1];
    else z = 2 * z - pos[i - 2];
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      const [p, pm1] = hermiteOrthonormal(n, z);
      dp = Math.sqrt(2 * n) * pm1; // p_n'(x) = sqrt(2n) p_{n−1}(x)
      const dz = p / dp;
      z -= dz;
      if (Math.abs(dz) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    // One more evaluation at the converged root for the weight.
    const [, pm1] = hermiteOrthonormal(n, z);
    dp = Math.sqrt(2 * n) * pm1;
    pos[i] = z;
    posW[i] = 2 / (dp * dp);
  }
  if (n % 2 === 1) pos[m - 1] = 0; // exact middle root for odd n
  for (let i = 0; i < m; i++) {
    nodes[n - 1 - i] = pos[i];
    weights[n - 1 - i] = posW[i];
    nodes[i] = -pos[i];
    weights[i] = posW[i];
  }
  return { nodes, weights };
}

let ghCache: { z: Float64Array; w: Float64Array } | null = null;

/** Standard-normal quadrature: z = √2·node, w = weight/√π (lazily computed). */
function normalQuadrature(): { z: Float64Array; w: Float64Array } {
  if (ghCache) return ghCache;
  const { nodes, weights } = gaussHermite(GH_NODES);
  const z = new Float64Array(GH_NODES);
  const w = new Float64Array(GH_NODES);
  for (let i = 0; i < GH_NODES; i++) {
    z[i] = Math.SQRT2 * nodes[i];
    w[i] = weights[i] / SQRT_PI;
  }
  ghCache = { z, w };
  return ghCache;
}

// ---------------------------------------------------------------------------
// Stable log Φ
// ---------------------------------------------------------------------------

/** Below this argument erf is summed as a series, above it erfcx uses a continued fraction. */
const ERF_SPLIT = 2;

/**
 * erf(u) for 0 ≤ u ≤ ~2.5 via the all-positive series
 * erf(u) = (2/√π) e^{−u²} Σ_n (2u²)^n u / (2n+1)!!.
 */
function erfSeries(u: number): number {
  const u2 = 2 * u * u;
  let term = u;
  let sum = u;
  for (let n = 1; n < 200; n++) {
    term *= u2 / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / SQRT_PI) * Math.exp(-u * u) * sum;
}

/**
 * Scaled complementary error function erfcx(u) = e^{u²}·erfc(u) for u ≥ 2,
 * by backward evaluation of the continued fraction
 * erfc(u) = e^{−u²}/√π · 1/(u + (1/2)/(u + (2/2)/(u + (3/2)/(u + …)))).
 * The depth is chosen so that the truncation error is below double precision.
 */
function erfcxCF(u: number): number {
  const depth = Math.ceil(12 + 240 / (u * u));
  let f = u;
  for (let k = depth; k >= 1; k--) f = u + (k * 0.5) / f;
  return 1 / (SQRT_PI * f);
}

/** erfc(u) for u ≥ 0 (underflows to 0 only where the true value does). */
function erfcPos(u: number): number {
  if (u < ERF_SPLIT) return 1 - erfSeries(u);
  return Math.exp(-u * u) * erfcxCF(u);
}

/**
 * log Φ(x) of the standard normal CDF, accurate over the whole real line:
 * never returns −Infinity for finite x (uses erfcx for the far left tail) and
 * keeps full relative precision of log Φ ≈ −Φ(−x) on the right.
 */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return -Infinity;
  if (x >= 0) {
    // Φ(x) = 1 − Q, Q = Φ(−x) = erfc(x/√2)/2 ≤ 1/2
    const q = 0.5 * erfcPos(x * Math.SQRT1_2);
    return Math.log1p(-q);
  }
  const u = -x * Math.SQRT1_2; // Φ(x) = erfc(u)/2
  if (u < ERF_SPLIT) return Math.log(0.5 * (1 - erfSeries(u)));
  return Math.log(erfcxCF(u)) - LN2 - u * u;
}

// ---------------------------------------------------------------------------
// α(γ)
// ---------------------------------------------------------------------------

function checkK(K: number): void {
  if (!Number.isFinite(K) || !Number.isInteger(K) || K < 2) {
    throw new RangeError(`time map: vocabulary size K must be an integer >= 2, got ${K}`);
  }
}

/** log(smallest positive double) ≈ −744.4; below this exp() is exactly 0. */
const EXP_UNDERFLOW = -745.2;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Exact (reference) α(γ) for vocabulary size K, by 100-node Gauss–Hermite
 * quadrature. γ outside [0, 1] is clamped.
 */
export function alphaOfGamma(gamma: number, K: number): number {
  checkK(K);
  return alphaUnchecked(gamma, K, normalQuadrature());
}

function alphaUnchecked(gamma: number, K: number, quad: { z: Float64Array; w: Float64Array }): number {
  if (Number.isNaN(gamma)) return NaN;
  const g = gamma < 0 ? 0 : gamma > 1 ? 1 : gamma;
  const sigma = Math.max(1 - g, 1e-12);
  const mu = g / sigma;
  const km1 = K - 1;
  const { z, w } = quad;
  let q = 0;
  for (let i = 0; i < z.length; i++) {
    const x = z[i] + mu;
    // Cheap skip: for x < 0, Φ(x) < φ(x)/|x|, so if even that bound makes the
    // power underflow, the contribution is exactly zero.
    if (x < -1) {
      const bound = -0.5 * x * x - Math.log(-x) - HALF_LOG_2PI;
      if (km1 * bound < EXP_UNDERFLOW) continue;
    }
    const e = km1 * logNdtr(x);
    if (e < EXP_UNDERFLOW) continue;
    q += w[i] * Math.exp(e);
  }
  let a = (K / km1) * (q - 1 / K);
  a += (g - 1) * 1e-10; // monotonicity nudge
  return a < 0 ? 0 : a > 1 ? 1 : a;
}

// ---------------------------------------------------------------------------
// Tabulated map with monotone cubic inverse
// ---------------------------------------------------------------------------

/** Fritsch–Carlson / PCHIP derivative at an end point (shape-preserving three-point formula). */
function pchipEnd(h0: number, h1: number, d0: number, d1: number): number {
  let m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
  if (Math.sign(m) !== Math.sign(d0)) m = 0;
  else if (Math.sign(d0) !== Math.sign(d1) && Math.abs(m) > Math.abs(3 * d0)) m = 3 * d0;
  return m;
}

/**
 * α ↔ γ map for a fixed vocabulary size K. Construction tabulates α on
 * `tableSize` uniform γ points in [0, 1]; `gamma(α)` inverts it with a monotone
 * (PCHIP) cubic interpolant, so it is monotone non-decreasing in α and always
 * returns γ ∈ [0, 1].
 */
export class TimeMap {
  readonly K: number;
  readonly tableSize: number;
  /** Knots of the inverse: strictly increasing α values … */
  private readonly xs: Float64Array;
  /** … the corresponding γ values … */
  private readonly ys: Float64Array;
  /** … and PCHIP derivatives dγ/dα at the knots. */
  private readonly ms: Float64Array;
  private readonly quad: { z: Float64Array; w: Float64Array };

  constructor(K: number, tableSize = 10000) {
    checkK(K);
    if (!Number.isInteger(tableSize) || tableSize < 3) {
      throw new RangeError(`TimeMap: tableSize must be an integer >= 3, got ${tableSize}`);
    }
    this.K = K;
    this.tableSize = tableSize;
    this.quad = normalQuadrature();

    // Tabulate α on the uniform γ grid. The quadrature can be slightly
    // non-monotone where α ≈ 0 for large K, and α is clipped at 0, so keep a
    // running maximum and only strictly increasing knots (first γ of each
    // run of equal α), which makes the inverse well defined and monotone.
    const xs: number[] = [];
    const ys: number[] = [];
    let last = -Infinity;
    for (let i = 0; i < tableSize; i++) {
      const g = i / (tableSize - 1);
      const a = alphaUnchecked(g, K, this.quad);
      if (a > last) {
        xs.push(a);
        ys.push(g);
        last = a;
      }
    }
    if (xs.length < 2) throw new Error(`TimeMap: degenerate α table for K=${K}`);
    this.xs = Float64Array.from(xs);
    this.ys = Float64Array.from(ys);
    this.ms = TimeMap.pchipSlopes(this.xs, this.ys);
  }

  private static pchipSlopes(x: Float64Array, y: Float64Array): Float64Array {
    const n = x.length;
    const m = new Float64Array(n);
    const h = new Float64Array(n - 1);
    const d = new Float64Array(n - 1);
    for (let k = 0; k < n - 1; k++) {
      h[k] = x[k + 1] - x[k];
      d[k] = (y[k + 1] - y[k]) / h[k];
    }
    if (n === 2) {
      m[0] = m[1] = d[0];
      return m;
    }
    for (let k = 1; k < n - 1; k++) {
      const d0 = d[k - 1];
      const d1 = d[k];
      if (d0 === 0 || d1 === 0 || Math.sign(d0) !== Math.sign(d1)) {
        m[k] = 0;
      } else {
        const w1 = 2 * h[k] + h[k - 1];
        const w2 = h[k] + 2 * h[k - 1];
        m[k] = (w1 + w2) / (w1 / d0 + w2 / d1);
      }
    }
    m[0] = pchipEnd(h[0], h[1], d[0], d[1]);
    m[n - 1] = pchipEnd(h[n - 2], h[n - 3], d[n - 2], d[n - 3]);
    return m;
  }

  /** Exact α(γ) (Gauss–Hermite quadrature). */
  alpha(gamma: number): number {
    return alphaUnchecked(gamma, this.K, this.quad);
  }

  /** γ(α) by monotone cubic interpolation of the table, clipped to [0, 1]. */
  gamma(alpha: number): number {
    if (Number.isNaN(alpha)) return NaN;
    const xs = this.xs;
    const n = xs.length;
    if (alpha <= xs[0]) return this.ys[0];
    if (alpha >= xs[n - 1]) return this.ys[n - 1];
    // Binary search: xs[lo] <= alpha < xs[lo+1].
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= alpha) lo = mid;
      else hi = mid;
    }
    const h = xs[lo + 1] - xs[lo];
    const s = (alpha - xs[lo]) / h;
    const y0 = this.ys[lo];
    const y1 = this.ys[lo + 1];
    const m0 = this.ms[lo] * h;
    const m1 = this.ms[lo + 1] * h;
    const s2 = s * s;
    const s3 = s2 * s;
    const g =
      (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1;
    return g < 0 ? 0 : g > 1 ? 1 : g;
  }
}

/** Vectorised γ(t) for a batch of model times. */
export function gammaOfT(map: TimeMap, t: Float32Array | number[]): Float32Array {
  const out = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = map.gamma(t[i]);
  return out;
}
