/**
 * A recorded sampling trajectory as a JSON document (the studio's "Export
 * JSON" and `flm sample --trajectory`): settings, the token pieces, and per
 * frame each sample's argmax text, argmaxes, entropies and top-k candidates,
 * nested as [sample][position] (and [candidate]).
 */
import type { FrameSummary } from './frames.ts';
import type { SampleRun, SampleSettings } from './session.ts';

export interface TrajectoryMeta extends SampleSettings {
  model: string;
  backend: string;
  length: number;
  vocab: number;
}

export const TRAJECTORY_FORMAT = 'flm-studio-trajectory';

const split = <T>(a: ArrayLike<T>, n: number): T[][] =>
  Array.from({ length: Math.ceil(a.length / n) }, (_, i) => Array.from({ length: n }, (_, j) => a[i * n + j]));

export function trajectoryJSON(meta: TrajectoryMeta, pieces: string[], frames: FrameSummary[], run?: SampleRun) {
  const L = meta.length;
  return {
    format: TRAJECTORY_FORMAT,
    version: 1,
    meta,
    pieces,
    frames: frames.map((f) => ({
      step: f.step,
      t: f.t,
      gamma: f.gamma,
      texts: f.texts ?? [],
      argmax_z: split(f.argmaxZ, L),
      argmax_p: split(f.argmaxP, L),
      entropy: split(f.entropy, L),
      top_z: { ids: split(split(f.zIds, f.k), L), values: split(split(f.zVals, f.k), L) },
      top_p: { ids: split(split(f.pIds, f.k), L), probs: split(split(f.pProbs, f.k), L) },
    })),
    ...(run ? { tokens: run.tokens, texts: run.texts, ms_total: run.msTotal, ms_per_step: run.msPerStep } : {}),
  };
}

export type TrajectoryJSON = ReturnType<typeof trajectoryJSON>;

/**
 * Probability, in frame `f`, of the token at each position of `final` (the
 * tokens finally chosen), when it is among the frame's top-k predictions; 0
 * otherwise (it is then below the k-th candidate's probability).
 */
export function finalTokenProb(f: FrameSummary, final: ArrayLike<number>): Float32Array {
  const rows = final.length, out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < f.k; j++) {
      if (f.pIds[r * f.k + j] === final[r]) { out[r] = f.pProbs[r * f.k + j]; break; }
    }
  }
  return out;
}
