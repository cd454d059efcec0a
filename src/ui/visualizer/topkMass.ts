/**
 * How much of the prediction's probability its top-k candidates hold, per
 * position and frame: near 1 where the model has narrowed a position down to
 * a few tokens, low where it still spreads over the vocabulary. Pure: the
 * top-k mass heatmap draws it, the tests check it by hand.
 */
import type { FrameSummary } from '../../sampling/frames.ts';

export interface MassMatrix {
  positions: number;
  frames: number;
  /** The candidates summed per cell: min(k, the frames' recorded k). */
  k: number;
  /** [positions × frames], row-major: mass[p · frames + i] is position p at frame i. */
  mass: Float32Array;
}

/**
 * Σ of the first k prediction probabilities (pProbs, best first) of rows
 * first … first + length − 1 in every frame. k above what a frame recorded
 * sums what it has; k below 1 sums nothing.
 */
export function topkMass(frames: readonly Pick<FrameSummary, 'k' | 'pProbs'>[], first: number, length: number, k: number): MassMatrix {
  const n = frames.length;
  const kk = n ? Math.max(0, Math.min(Math.floor(k), ...frames.map((f) => f.k))) : 0;
  const mass = new Float32Array(length * n);
  frames.forEach((f, i) => {
    for (let p = 0; p < length; p++) {
      const o = (first + p) * f.k;
      let s = 0;
      for (let j = 0; j < kk; j++) s += f.pProbs[o + j];
      mass[p * n + i] = s;
    }
  });
  return { positions: length, frames: n, k: kk, mass };
}

/** Each frame's mean over the positions (what the panel says in words). */
export function meanByFrame(m: MassMatrix): number[] {
  return Array.from({ length: m.frames }, (_, i) => {
    let s = 0;
    for (let p = 0; p < m.positions; p++) s += m.mass[p * m.frames + i];
    return m.positions ? s / m.positions : NaN;
  });
}
