import { describe, expect, it } from 'vitest';
import { argmaxRows } from '../../src/flm/sampler.ts';
import { firstNonFiniteRow, rowEntropy, summarizeFrame, topKRows } from '../../src/sampling/frames.ts';
import { finalTokenProb } from '../../src/sampling/trajectory.ts';

/** Plain reference: sort each row by value (descending), ties by index. */
function topKSort(x: Float32Array, rows: number, cols: number, k: number) {
  const ids: number[] = [], vals: number[] = [];
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: cols }, (_, j) => j).sort((a, b) => x[r * cols + b] - x[r * cols + a] || a - b);
    for (const j of order.slice(0, k)) { ids.push(j); vals.push(x[r * cols + j]); }
  }
  return { ids, vals };
}

function rand(n: number, seed: number, levels = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    return levels ? Math.floor(u * levels) : u * 2 - 1;
  });
}

describe('frame summaries', () => {
  it('top-k matches a full sort, including ties, k > cols and odd sizes', () => {
    for (const [rows, cols, k, levels] of [[5, 37, 8, 0], [3, 11, 8, 3], [4, 5, 8, 0], [7, 64, 1, 0], [2, 100, 100, 4]]) {
      const x = rand(rows * cols, rows * 31 + cols, levels);
      const got = topKRows(x, rows, cols, k);
      const want = topKSort(x, rows, cols, Math.min(k, cols));
      expect([...got.ids]).toEqual(want.ids);
      expect([...got.vals]).toEqual(want.vals);
    }
  });

  it('entropy: uniform is ln V, one-hot is 0', () => {
    const V = 10;
    const p = new Float32Array(2 * V);
    p.fill(0.1, 0, V);
    p[V + 3] = 1;
    const h = rowEntropy(p, 2, V);
    expect(h[0]).toBeCloseTo(Math.log(V), 5);
    expect(h[1]).toBe(0);
  });

  it('the summary argmax agrees with the sampler argmax; the final frame uses its state as the prediction', () => {
    const rows = 6, V = 13;
    const z = rand(rows * V, 7, 5), p = rand(rows * V, 8);
    const s = summarizeFrame({ step: 2, t: 0.5, gamma: 0.7, z, p }, rows, V, 4);
    expect([...s.argmaxZ]).toEqual([...argmaxRows(z, rows, V)]);
    expect([...s.argmaxP]).toEqual([...argmaxRows(p, rows, V)]);
    expect(s.k).toBe(4);
    const last = summarizeFrame({ step: 3, t: 1, gamma: 1, z }, rows, V, 4);
    expect([...last.pIds]).toEqual([...last.zIds]);
  });

  it('the probability of the final token is read from the top-k, 0 when absent', () => {
    const rows = 2, V = 4;
    const p = Float32Array.from([0.1, 0.6, 0.2, 0.1, 0.7, 0.1, 0.1, 0.1]);
    const s = summarizeFrame({ step: 0, t: 0, gamma: 0, z: p, p }, rows, V, 2);
    expect([...finalTokenProb(s, [2, 3])].map((v) => +v.toFixed(3))).toEqual([0.2, 0]);
  });

  it('finds the first non-finite row', () => {
    const x = new Float32Array(12);
    expect(firstNonFiniteRow(x, 4)).toBe(-1);
    x[9] = NaN;
    expect(firstNonFiniteRow(x, 4)).toBe(2);
  });
});
