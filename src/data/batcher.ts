/**
 * Packing a token stream into training sequences of length L: each epoch is
 * a seeded permutation of the non-overlapping windows [kL, (k+1)L). The
 * state (epoch, index) is plain JSON, so a resumed run sees exactly the
 * batches the uninterrupted run would have seen.
 */
import { philox4x32, seedKey, toUnit } from '../engine/reference/noise.ts';
import { CorpusError } from './corpus.ts';

export interface BatcherState { epoch: number; index: number; seed: number }

export class Batcher {
  private readonly windows: number;
  private order: Uint32Array;
  private epoch: number;
  private index: number;

  constructor(private readonly tokens: Uint32Array, private readonly length: number, private readonly batch: number,
    private readonly seed: number, position?: BatcherState) {
    if (tokens.length < length + 1) {
      throw new CorpusError('too-short', `The text has ${tokens.length} tokens; training needs more than one sequence of ${length}.`);
    }
    this.windows = Math.floor(tokens.length / length);
    this.epoch = position?.epoch ?? 0;
    this.index = position?.index ?? 0;
    this.order = this.permutation(this.epoch);
  }

  private permutation(epoch: number): Uint32Array {
    const p = Uint32Array.from({ length: this.windows }, (_, i) => i);
    const [k0, k1] = seedKey(this.seed);
    for (let i = p.length - 1; i > 0; i--) {
      const w = philox4x32(i, epoch, 0xba7c, 0, k0, k1)[0];
      const j = Math.min(i, Math.floor(toUnit(w) * (i + 1)));
      const t = p[i]; p[i] = p[j]; p[j] = t;
    }
    return p;
  }

  next(): Uint32Array {
    const out = new Uint32Array(this.batch * this.length);
    for (let b = 0; b < this.batch; b++) {
      if (this.index >= this.windows) {
        this.epoch++;
        this.index = 0;
        this.order = this.permutation(this.epoch);
      }
      const start = this.order[this.index++] * this.length;
      out.set(this.tokens.subarray(start, start + this.length), b * this.length);
    }
    return out;
  }

  state(): BatcherState {
    return { epoch: this.epoch, index: this.index, seed: this.seed };
  }
}

/** Fixed validation batches: the first windows of the stream, in order (repeated if the stream is short). */
export function evalBatches(tokens: Uint32Array, length: number, batch: number, maxBatches: number): Uint32Array[] {
  const windows = Math.floor(tokens.length / length);
  if (windows < 1) throw new CorpusError('too-short', `The validation text has ${tokens.length} tokens; it needs at least ${length}.`);
  const n = Math.max(1, Math.min(maxBatches, Math.ceil(windows / batch)));
  const out: Uint32Array[] = [];
  for (let j = 0; j < n; j++) {
    const a = new Uint32Array(batch * length);
    for (let b = 0; b < batch; b++) {
      const w = (j * batch + b) % windows;
      a.set(tokens.subarray(w * length, (w + 1) * length), b * length);
    }
    out.push(a);
  }
  return out;
}
