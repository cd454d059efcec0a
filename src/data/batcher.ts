/**
 * Packing a token stream into training sequences of length L.
 *
 * The stream is cut into the non-overlapping windows [k·L, (k+1)·L),
 * k = 0 … floor(n/L) − 1 (a tail shorter than L is not used for training).
 * Each epoch visits every window once, in an order that is a permutation
 * derived only from (seed, epoch) with a small seeded PRNG defined here, so
 * the sequence of batches is a pure function of (tokens, L, batch, seed).
 * A batch may span the end of one epoch and the start of the next.
 *
 * `state()` is plain JSON ({ epoch, index, seed }); a Batcher constructed with
 * a saved state yields exactly the batches the original would have produced
 * next, so training resumes exactly from a checkpoint.
 */
import { CorpusError } from './corpus.ts';

export interface BatcherState {
  /** Epochs completed so far (0 during the first pass). */
  epoch: number;
  /** Windows of the current epoch already handed out. */
  index: number;
  /** The seed the permutations are derived from. */
  seed: number;
}

/** splitmix32-style finaliser: a good 32-bit integer hash. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small seeded PRNG (splitmix32): state advances by the golden-ratio constant and is hashed. */
export class SplitMix32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Uniform integer in [0, n), n ≤ 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    if (n <= 1) return 0;
    const limit = 0x100000000 - (0x100000000 % n); // largest multiple of n ≤ 2^32
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }
}

/** The 32-bit PRNG seed of epoch `epoch` under the user's `seed` (any finite number). */
function epochSeed(seed: number, epoch: number): number {
  const s = Number.isFinite(seed) ? Math.trunc(seed) : 0;
  const lo = s >>> 0;
  const hi = Math.floor(s / 0x100000000) >>> 0;
  let h = mix32(lo ^ 0x5bd1e995);
  h = mix32(h ^ hi);
  h = mix32(h ^ (epoch >>> 0));
  h = mix32(h ^ (Math.floor(epoch / 0x100000000) >>> 0) ^ 0x27d4eb2f);
  return h;
}

/** The window order of one epoch: a Fisher–Yates shuffle of 0 … windows−1. */
export function epochPermutation(windows: number, seed: number, epoch: number): Uint32Array {
  const p = new Uint32Array(windows);
  for (let i = 0; i < windows; i++) p[i] = i;
  const rng = new SplitMix32(epochSeed(seed, epoch));
  for (let i = windows - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function checkShape(length: number, batch: number): void {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`sequence length must be a positive integer, got ${length}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch size must be a positive integer, got ${batch}`);
}

export class Batcher {
  /** Number of whole windows of length L in the stream. */
  readonly windows: number;
  private readonly seed: number;
  private epoch: number;
  private index: number;
  private order: Uint32Array;

  /**
   * @param tokens   the token stream (e.g. the encoded training text)
   * @param length   sequence length L
   * @param batch    sequences per batch
   * @param seed     seed of the window permutations
   * @param position a saved `state()`; its seed takes precedence over `seed` so a resume is exact
   */
  constructor(
    private readonly tokens: Uint32Array,
    private readonly length: number,
    private readonly batch: number,
    seed: number,
    position?: BatcherState,
  ) {
    checkShape(length, batch);
    if (tokens.length < length + 1) {
      throw new CorpusError(
        'too-short',
        `The training text is ${tokens.length.toLocaleString('en-US')} tokens long; sequences of ${length} need at least ` +
          `${(length + 1).toLocaleString('en-US')}. Add more text or use a shorter sequence length.`,
      );
    }
    this.windows = Math.floor(tokens.length / length);
    this.seed = position?.seed ?? seed;
    this.epoch = position?.epoch ?? 0;
    this.index = position?.index ?? 0;
    if (!Number.isSafeInteger(this.epoch) || this.epoch < 0) throw new RangeError(`batcher state: bad epoch ${this.epoch}`);
    if (!Number.isSafeInteger(this.index) || this.index < 0 || this.index > this.windows) {
      throw new RangeError(
        `batcher state: position ${this.index} is outside this text's ${this.windows} sequences (was the checkpoint trained on other text?)`,
      );
    }
    if (typeof this.seed !== 'number' || !Number.isFinite(this.seed)) throw new RangeError(`batcher seed must be a finite number`);
    this.order = epochPermutation(this.windows, this.seed, this.epoch);
  }

  /** The next batch: `batch` sequences of `length` ids, row-major (batch × length). */
  next(): Uint32Array {
    const L = this.length;
    const out = new Uint32Array(this.batch * L);
    for (let b = 0; b < this.batch; b++) {
      if (this.index >= this.windows) {
        this.epoch++;
        this.index = 0;
        this.order = epochPermutation(this.windows, this.seed, this.epoch);
      }
      const start = this.order[this.index++] * L;
      out.set(this.tokens.subarray(start, start + L), b * L);
    }
    return out;
  }

  /** Where the batcher is: plain JSON, for checkpoints. */
  state(): BatcherState {
    return { epoch: this.epoch, index: this.index, seed: this.seed };
  }
}

/**
 * Fixed, deterministic validation batches: the first windows of the stream in
 * order ([0, L), [L, 2L), …), `batch` per batch, at most `maxBatches` batches
 * (only whole batches; if the stream has fewer than `batch` windows, one batch
 * that repeats them from the start). Throws CorpusError 'too-short' if the
 * stream is shorter than one window.
 */
export function evalBatches(tokens: Uint32Array, length: number, batch: number, maxBatches: number): Uint32Array[] {
  checkShape(length, batch);
  const windows = Math.floor(tokens.length / length);
  if (windows < 1) {
    throw new CorpusError(
      'too-short',
      `The validation text is ${tokens.length.toLocaleString('en-US')} tokens long; it needs at least ${length.toLocaleString('en-US')} (one sequence). Add more text.`,
    );
  }
  const count = Math.max(1, Math.min(Math.max(0, Math.floor(maxBatches)), Math.floor(windows / batch)));
  const out: Uint32Array[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Uint32Array(batch * length);
    for (let b = 0; b < batch; b++) {
      const w = (k * batch + b) % windows;
      a.set(tokens.subarray(w * length, (w + 1) * length), b * length);
    }
    out.push(a);
  }
  return out;
}
