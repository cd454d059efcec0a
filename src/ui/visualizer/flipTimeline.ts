/**
 * When each position's argmax token changes over the recorded frames, and
 * from which frame on it stays what it finally is. Pure: the flip timeline
 * panel draws it, the tests check it on small hand-made frames.
 */
import type { FrameSummary } from '../../sampling/frames.ts';

/** Which argmax a timeline follows: of the prediction softmax(DiT(z_t, t)), or of the state z_t (the frame's text). */
export type ArgmaxSource = 'prediction' | 'state';

/** One change of a position's argmax, between frame `frame − 1` and frame `frame`. */
export interface Flip {
  frame: number;
  t: number;
  from: number;
  to: number;
}

export interface PositionFlips {
  flips: Flip[];
  /** The first frame from which the argmax never changes again (0 when it never flips). */
  settleFrame: number;
  /** That frame's t: the position has settled from this t on. */
  settleT: number;
  /** The argmax at the last frame. */
  final: number;
}

type Frames = readonly Pick<FrameSummary, 't' | 'argmaxP' | 'argmaxZ'>[];

/**
 * Per position of one sample (rows first … first + length − 1 of every
 * frame): its flips in frame order and where it settles. With one frame there
 * is nothing to compare: no flips, settled at that frame's t. No frames: [].
 */
export function flipTimeline(frames: Frames, first: number, length: number, source: ArgmaxSource): PositionFlips[] {
  if (!frames.length) return [];
  const ids = (f: Frames[number]) => (source === 'prediction' ? f.argmaxP : f.argmaxZ);
  return Array.from({ length }, (_, p) => {
    const r = first + p;
    const flips: Flip[] = [];
    for (let i = 1; i < frames.length; i++) {
      const from = ids(frames[i - 1])[r], to = ids(frames[i])[r];
      if (from !== to) flips.push({ frame: i, t: frames[i].t, from, to });
    }
    const settleFrame = flips.length ? flips[flips.length - 1].frame : 0;
    return { flips, settleFrame, settleT: frames[settleFrame].t, final: ids(frames[frames.length - 1])[r] };
  });
}

/** The median of some numbers (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface FlipSummary {
  positions: number;
  /** Flips of all positions together. */
  flips: number;
  /** Positions whose argmax never changes. */
  steady: number;
  medianSettleT: number;
  /** The latest settle t of any position (when the whole sample has settled). */
  lastSettleT: number;
}

export function summarizeFlips(timeline: readonly PositionFlips[]): FlipSummary {
  const settle = timeline.map((p) => p.settleT);
  return {
    positions: timeline.length,
    flips: timeline.reduce((n, p) => n + p.flips.length, 0),
    steady: timeline.filter((p) => !p.flips.length).length,
    medianSettleT: median(settle),
    lastSettleT: settle.length ? Math.max(...settle) : NaN,
  };
}

/** A t for people: at most 3 decimals, no trailing zeros (0.625, 0.5, 1). */
export const fmtT = (t: number): string => String(Number(t.toFixed(3)));

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The timeline in words. One step (an FMLM: two frames, t = 0 and t = 1)
 * has no "when" to tell, only how many positions changed in it.
 */
export function describeFlips(s: FlipSummary, frames: number, source: ArgmaxSource): string {
  const noun = source === 'prediction' ? 'predicted token' : 'text token (argmax of z_t)';
  if (frames === 0 || s.positions === 0) return '';
  if (frames === 1) return 'Only the frame at t = 0 so far: no step to compare it with yet.';
  const changed = s.positions - s.steady;
  if (frames === 2) {
    return `One step, t = 0 → 1: a single network evaluation decides every position. ${changed} of ${s.positions} positions' ${noun} changed in it; ${s.steady} kept the one they had at t = 0.`;
  }
  return `Median settle t = ${fmtT(s.medianSettleT)}: half of the ${s.positions} positions have their final ${noun} from t = ${fmtT(s.medianSettleT)} on, `
    + `all of them from t = ${fmtT(s.lastSettleT)}. ${plural(s.flips, 'flip', 'flips')} in all over ${frames - 1} steps; `
    + `${plural(s.steady, 'position never flips', 'positions never flip')}.`;
}
