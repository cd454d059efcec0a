import { describe, expect, it } from 'vitest';
import { describeFlips, flipTimeline, fmtT, median, summarizeFlips } from '../../src/ui/visualizer/flipTimeline.ts';

/** Frames at t = k/N from per-frame argmaxes (prediction and state), rows = count · L. */
const frames = (argmaxP: number[][], argmaxZ: number[][] = argmaxP) => argmaxP.map((p, k) => ({
  t: argmaxP.length > 1 ? k / (argmaxP.length - 1) : 0, argmaxP: Uint32Array.from(p), argmaxZ: Uint32Array.from(argmaxZ[k]),
}));

describe('the flip timeline', () => {
  // 5 frames (N = 4), 2 samples × 3 positions: rows 0–2 sample 0, rows 3–5 sample 1.
  const run = frames([
    [1, 7, 2, 9, 9, 9],
    [1, 5, 2, 9, 8, 9],
    [1, 5, 3, 9, 8, 9],
    [1, 7, 3, 9, 8, 9],
    [1, 7, 4, 9, 8, 9],
  ]);

  it("lists each position's flips with their frame, t and tokens, and settles after the last one", () => {
    const tl = flipTimeline(run, 0, 3, 'prediction');
    // position 0 never flips: settled from the first frame
    expect(tl[0]).toEqual({ flips: [], settleFrame: 0, settleT: 0, final: 1 });
    // position 1 flips away and back: it settles at the flip back, not at the first one
    expect(tl[1].flips).toEqual([{ frame: 1, t: 0.25, from: 7, to: 5 }, { frame: 3, t: 0.75, from: 5, to: 7 }]);
    expect(tl[1].settleFrame).toBe(3);
    expect(tl[1].settleT).toBe(0.75);
    expect(tl[1].final).toBe(7);
    // position 2 flips at the last step: it settles only at t = 1
    expect(tl[2].flips.map((f) => f.frame)).toEqual([2, 4]);
    expect(tl[2].settleT).toBe(1);
    expect(tl[2].final).toBe(4);
  });

  it("reads the selected sample's rows", () => {
    const tl = flipTimeline(run, 3, 3, 'prediction');
    expect(tl.map((p) => p.flips.length)).toEqual([0, 1, 0]);
    expect(tl[1].flips[0]).toEqual({ frame: 1, t: 0.25, from: 9, to: 8 });
    expect(tl.map((p) => p.settleT)).toEqual([0, 0.25, 0]);
  });

  it('follows the argmax of the state or of the prediction', () => {
    // One step (an FMLM): the prediction at t = 0 is already the final token, the state's argmax moves from noise to it.
    const one = frames([[4, 6], [4, 6]], [[3, 6], [4, 6]]);
    expect(flipTimeline(one, 0, 2, 'prediction').map((p) => p.flips.length)).toEqual([0, 0]);
    const state = flipTimeline(one, 0, 2, 'state');
    expect(state[0]).toEqual({ flips: [{ frame: 1, t: 1, from: 3, to: 4 }], settleFrame: 1, settleT: 1, final: 4 });
    expect(state[1]).toEqual({ flips: [], settleFrame: 0, settleT: 0, final: 6 });
  });

  it('has no flips with a single frame, and no positions without frames', () => {
    const single = frames([[2, 5]]);
    expect(flipTimeline(single, 0, 2, 'state')).toEqual([
      { flips: [], settleFrame: 0, settleT: 0, final: 2 },
      { flips: [], settleFrame: 0, settleT: 0, final: 5 },
    ]);
    expect(flipTimeline([], 0, 2, 'prediction')).toEqual([]);
  });

  it('summarises: flips in all, positions that never flip, median and last settle t', () => {
    expect(summarizeFlips(flipTimeline(run, 0, 3, 'prediction'))).toEqual({
      positions: 3, flips: 4, steady: 1, medianSettleT: 0.75, lastSettleT: 1,
    });
    const none = summarizeFlips([]);
    expect(none.flips).toBe(0);
    expect(none.medianSettleT).toBeNaN();
    expect(none.lastSettleT).toBeNaN();
  });

  it('takes the median of odd and even counts without reordering its input', () => {
    const xs = [0.5, 0, 1, 0.25];
    expect(median(xs)).toBe(0.375);
    expect(xs).toEqual([0.5, 0, 1, 0.25]);
    expect(median([0.75, 0.125, 0.5])).toBe(0.5);
    expect(median([])).toBeNaN();
  });
});

describe('the flip timeline in words', () => {
  const s = (flips: number, steady: number, medianSettleT: number, lastSettleT: number) => ({ positions: 4, flips, steady, medianSettleT, lastSettleT });

  it('tells the median and the last settle t of a many-step run', () => {
    expect(describeFlips(s(5, 1, 0.5625, 0.875), 9, 'prediction')).toBe(
      'Median settle t = 0.563: half of the 4 positions have their final predicted token from t = 0.563 on, all of them from t = 0.875. 5 flips in all over 8 steps; 1 position never flips.');
    expect(describeFlips(s(1, 3, 0, 1), 3, 'state')).toContain('1 flip in all over 2 steps; 3 positions never flip.');
  });

  it('says what one step did instead of when (an FMLM)', () => {
    expect(describeFlips(s(0, 4, 0, 0), 2, 'prediction')).toBe(
      "One step, t = 0 → 1: a single network evaluation decides every position. 0 of 4 positions' predicted token changed in it; 4 kept the one they had at t = 0.");
    expect(describeFlips(s(3, 1, 1, 1), 2, 'state')).toContain("3 of 4 positions' text token (argmax of z_t) changed in it; 1 kept");
  });

  it('has nothing to compare with one frame, and nothing to say without frames', () => {
    expect(describeFlips(s(0, 4, 0, 0), 1, 'prediction')).toBe('Only the frame at t = 0 so far: no step to compare it with yet.');
    expect(describeFlips(s(0, 0, NaN, NaN), 0, 'prediction')).toBe('');
  });

  it('writes t with at most 3 decimals', () => {
    expect([0, 0.5, 0.625, 1 / 3, 1].map(fmtT)).toEqual(['0', '0.5', '0.625', '0.333', '1']);
  });
});
