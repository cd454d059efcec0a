import { describe, expect, it } from 'vitest';
import { meanByFrame, topkMass } from '../../src/ui/visualizer/topkMass.ts';

/** A frame with k = 3 recorded candidates per row. */
const frame = (probs: number[][]) => ({ k: 3, pProbs: Float32Array.from(probs.flat()) });

describe('the top-k probability mass matrix', () => {
  // 2 frames, 2 samples × 2 positions (rows 0–1: sample 0, rows 2–3: sample 1), 3 candidates each.
  const run = [
    frame([[0.4, 0.3, 0.1], [0.2, 0.2, 0.1], [0.5, 0.25, 0.125], [0.9, 0.05, 0.05]]),
    frame([[0.7, 0.2, 0.05], [0.6, 0.3, 0.1], [1, 0, 0], [0.25, 0.25, 0.25]]),
  ];

  it('sums the first k probabilities per position and frame, positions × frames', () => {
    const m = topkMass(run, 0, 2, 2);
    expect(m).toMatchObject({ positions: 2, frames: 2, k: 2 });
    // position 0: 0.4 + 0.3, 0.7 + 0.2; position 1: 0.2 + 0.2, 0.6 + 0.3
    [0.7, 0.9, 0.4, 0.9].forEach((v, i) => expect(m.mass[i]).toBeCloseTo(v, 6));
  });

  it("reads the selected sample's rows", () => {
    const m = topkMass(run, 2, 2, 3);
    expect(m.k).toBe(3);
    // position 0: 0.5 + 0.25 + 0.125, 1; position 1: 1, 0.75
    expect([...m.mass]).toEqual([0.875, 1, 1, 0.75]);
  });

  it('clamps k to what the frames recorded, and sums nothing for k < 1', () => {
    expect(topkMass(run, 2, 2, 8)).toEqual(topkMass(run, 2, 2, 3));
    expect(topkMass(run, 2, 2, 1).mass).toEqual(Float32Array.from([0.5, 1, 0.9, 0.25]));
    const none = topkMass(run, 0, 2, 0);
    expect(none.k).toBe(0);
    expect([...none.mass]).toEqual([0, 0, 0, 0]);
  });

  it('works for a single frame and for none', () => {
    const one = topkMass([run[1]], 0, 2, 1);
    expect(one).toMatchObject({ positions: 2, frames: 1, k: 1 });
    expect([...one.mass]).toEqual([0.7, 0.6].map(Math.fround));
    expect(topkMass([], 0, 2, 4)).toEqual({ positions: 2, frames: 0, k: 0, mass: new Float32Array(0) });
  });

  it("averages each frame's column over the positions", () => {
    const means = meanByFrame(topkMass(run, 2, 2, 3));
    expect(means).toEqual([0.9375, 0.875]);
  });
});
