import { describe, it, expect } from 'vitest';
import { Batcher, epochPermutation, evalBatches, type BatcherState } from '../../src/data/batcher.ts';
import { CorpusError } from '../../src/data/corpus.ts';

const stream = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

function take(b: Batcher, n: number): Uint32Array[] {
  return Array.from({ length: n }, () => b.next());
}

describe('Batcher', () => {
  it('is deterministic given the seed, and different for another seed', () => {
    const t = stream(1000);
    const a = take(new Batcher(t, 16, 4, 42), 30);
    const b = take(new Batcher(t, 16, 4, 42), 30);
    const c = take(new Batcher(t, 16, 4, 43), 30);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('yields whole windows [kL, (k+1)L), each exactly once per epoch', () => {
    const L = 10, B = 3, n = 307; // 30 windows, 7 tail tokens unused
    const b = new Batcher(stream(n), L, B, 7);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = b.next();
      expect(batch.length).toBe(B * L);
      for (let r = 0; r < B; r++) {
        const row = batch.subarray(r * L, (r + 1) * L);
        expect(row[0] % L).toBe(0);
        for (let j = 1; j < L; j++) expect(row[j]).toBe(row[0] + j);
        seen.push(row[0] / L);
      }
    }
    expect(seen.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, k) => k));
    expect(b.state()).toEqual({ epoch: 0, index: 30, seed: 7 });
    // not simply in order
    expect(seen).not.toEqual(Array.from({ length: 30 }, (_, k) => k));
    b.next();
    expect(b.state()).toEqual({ epoch: 1, index: 3, seed: 7 });
  });

  it('uses a new permutation every epoch', () => {
    const p0 = epochPermutation(50, 1, 0), p1 = epochPermutation(50, 1, 1);
    expect([...p0].sort((a, b) => a - b)).toEqual([...p1].sort((a, b) => a - b));
    expect(p0).not.toEqual(p1);
    expect(epochPermutation(50, 1, 1)).toEqual(p1);
  });

  it('resumes exactly from a saved state, across epoch boundaries', () => {
    const t = stream(1234);
    const L = 8, B = 5; // 154 windows: epoch boundaries fall inside batches
    const full = take(new Batcher(t, L, B, 2024), 200);
    for (const cut of [0, 1, 30, 31, 62, 99, 150]) {
      const orig = new Batcher(t, L, B, 2024);
      take(orig, cut);
      const saved = JSON.parse(JSON.stringify(orig.state())) as BatcherState;
      const resumed = new Batcher(t, L, B, 999 /* ignored: the state's seed wins */, saved);
      expect(resumed.state()).toEqual(saved);
      expect(take(resumed, 200 - cut)).toEqual(full.slice(cut));
    }
  });

  it('handles batches larger than an epoch', () => {
    const b = new Batcher(stream(40), 10, 9, 3); // 4 windows per epoch
    const first = b.next();
    expect(first.length).toBe(90);
    expect(b.state()).toEqual({ epoch: 2, index: 1, seed: 3 });
  });

  it('throws too-short for a stream of fewer than L+1 tokens', () => {
    try {
      new Batcher(stream(16), 16, 2, 0);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CorpusError);
      expect((e as CorpusError).code).toBe('too-short');
    }
    expect(() => new Batcher(stream(17), 16, 2, 0)).not.toThrow();
  });

  it('rejects a state that does not fit the stream', () => {
    expect(() => new Batcher(stream(100), 10, 2, 0, { epoch: 0, index: 11, seed: 0 })).toThrow(RangeError);
    expect(() => new Batcher(stream(100), 10, 2, 0, { epoch: -1, index: 0, seed: 0 })).toThrow(RangeError);
  });
});

describe('evalBatches', () => {
  it('returns the first windows in order', () => {
    const t = stream(1000);
    const bs = evalBatches(t, 10, 4, 3);
    expect(bs.length).toBe(3);
    expect(bs[0]).toEqual(t.slice(0, 40));
    expect(bs[1]).toEqual(t.slice(40, 80));
    expect(bs[2]).toEqual(t.slice(80, 120));
    expect(evalBatches(t, 10, 4, 3)).toEqual(bs);
  });
  it('is limited by the stream length', () => {
    expect(evalBatches(stream(95), 10, 4, 100).length).toBe(2); // 9 windows → 2 whole batches
    const small = evalBatches(stream(25), 10, 4, 5); // 2 windows, repeated to fill one batch
    expect(small.length).toBe(1);
    expect([...small[0]]).toEqual([...stream(20), ...stream(20)]);
  });
  it('throws too-short when there is not one window', () => {
    expect(() => evalBatches(stream(9), 10, 1, 1)).toThrow(CorpusError);
  });
});
