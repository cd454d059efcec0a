/**
 * What one sampling frame sends to the UI: per position (row of [count·L]),
 * the top-k candidates of the state z_t and of the prediction
 * softmax(DiT(z_t, t)), the prediction's entropy and both argmaxes.
 * O(rows·k) numbers instead of the full [count, L, V] tensors.
 */
import type { SampleFrame } from '../flm/sampler.ts';

export interface FrameSummary {
  step: number;
  t: number;
  gamma: number;
  /** Candidates kept per position (min(k, V)). */
  k: number;
  /** [rows·k] ids and values of z_t, best first (ties: lower id first). */
  zIds: Uint32Array;
  zVals: Float32Array;
  /** [rows·k] ids and probabilities of the prediction, best first. */
  pIds: Uint32Array;
  pProbs: Float32Array;
  /** [rows] entropy of the prediction, in nats. */
  entropy: Float32Array;
  /** [rows] argmax of z_t (the frame's text) and of the prediction. */
  argmaxZ: Uint32Array;
  argmaxP: Uint32Array;
  /** Each sample's argmax-of-z_t text, decoded by the model's tokenizer. */
  texts?: string[];
}

/** Indices and values of the k largest entries of each row, in descending order. */
export function topKRows(x: Float32Array, rows: number, cols: number, k: number): { ids: Uint32Array; vals: Float32Array } {
  const kk = Math.min(k, cols);
  const ids = new Uint32Array(rows * kk);
  const vals = new Float32Array(rows * kk);
  for (let r = 0; r < rows; r++) {
    const o = r * kk, base = r * cols;
    let n = 0;
    for (let j = 0; j < cols; j++) {
      const v = x[base + j];
      // NaN never enters a full list, and enters a short one at the end.
      if (n === kk && !(v > vals[o + kk - 1])) continue;
      let i = n < kk ? n++ : kk - 1;
      while (i > 0 && v > vals[o + i - 1]) {
        vals[o + i] = vals[o + i - 1];
        ids[o + i] = ids[o + i - 1];
        i--;
      }
      vals[o + i] = v;
      ids[o + i] = j;
    }
  }
  return { ids, vals };
}

/** Shannon entropy (nats) of each row of a probability matrix. */
export function rowEntropy(p: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let h = 0;
    for (let j = r * cols, e = j + cols; j < e; j++) {
      const q = p[j];
      if (q > 0) h -= q * Math.log(q);
      else if (!(q === 0) && !(q < 0)) h = NaN;
    }
    out[r] = h;
  }
  return out;
}

/**
 * Summarise a frame. The final frame has no prediction of its own: its state
 * is the last prediction (a distribution), so it stands in for it.
 */
export function summarizeFrame(f: SampleFrame, rows: number, vocab: number, k: number): FrameSummary {
  const p = f.p ?? f.z;
  const z = topKRows(f.z, rows, vocab, k);
  const q = topKRows(p, rows, vocab, k);
  const kk = Math.min(k, vocab);
  const argmaxZ = new Uint32Array(rows), argmaxP = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    argmaxZ[r] = z.ids[r * kk];
    argmaxP[r] = q.ids[r * kk];
  }
  return {
    step: f.step, t: f.t, gamma: f.gamma, k: kk,
    zIds: z.ids, zVals: z.vals, pIds: q.ids, pProbs: q.vals,
    entropy: rowEntropy(p, rows, vocab), argmaxZ, argmaxP,
  };
}

/** The buffers of a summary, for postMessage transfer lists. */
export function frameBuffers(s: FrameSummary): ArrayBuffer[] {
  return [s.zIds, s.zVals, s.pIds, s.pProbs, s.entropy, s.argmaxZ, s.argmaxP].map((a) => a.buffer as ArrayBuffer);
}

/** The first position (row) whose values are not all finite, or −1. */
export function firstNonFiniteRow(x: Float32Array, cols: number): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return Math.floor(i / cols);
  return -1;
}
