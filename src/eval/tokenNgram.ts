/**
 * Token unigram and bigram models of a tokenized corpus, for sampling: what
 * a model that knew only how often each token occurs (unigram), or which
 * token follows which (bigram), would write. Their text is the floor of the
 * text statistics (a larger vocabulary holds more whole words per token, so
 * even unigram samples score more known words); `bench:quality` prints
 * both beside the models.
 *
 * Sequence i of a unigram draw uses the counter-based stream (seed,
 * baselines, i), and of a bigram draw of `count` sequences (seed, baselines,
 * count + i): the same seed and count give the same text.
 */
import { CounterRng, STREAM } from '../flm/random.ts';

export class TokenNgram {
  private constructor(
    private readonly vocab: number,
    /** Cumulative unigram counts: unigramCum[v] = how many tokens are ≤ v. */
    private readonly unigramCum: Float64Array,
    /** Bigram rows: the pairs (prev, next) with prev = p are rowStart[p] .. rowStart[p + 1]. */
    private readonly rowStart: Uint32Array,
    private readonly nextToken: Uint32Array,
    /** Cumulative counts within each row. */
    private readonly nextCum: Float64Array,
  ) {}

  /** Counts of `ids` (every id < vocab); the bigram is sparse: only the pairs that occur. */
  static fit(ids: ArrayLike<number>, vocab: number): TokenNgram {
    if (vocab < 1 || vocab > 65536) throw new RangeError(`TokenNgram: vocabulary ${vocab} is not in 1..65536`);
    const uni = new Float64Array(vocab);
    const pairs = new Uint32Array(Math.max(0, ids.length - 1));
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i];
      if (!(t >= 0 && t < vocab)) throw new RangeError(`TokenNgram: token ${t} at ${i} is outside the vocabulary of ${vocab}`);
      uni[t]++;
      if (i > 0) pairs[i - 1] = ids[i - 1] * vocab + t;
    }
    for (let v = 1; v < vocab; v++) uni[v] += uni[v - 1];
    pairs.sort();
    const rowStart = new Uint32Array(vocab + 1);
    const next: number[] = [], cum: number[] = [];
    let k = 0;
    for (let p = 0; p < vocab; p++) {
      rowStart[p] = next.length;
      let total = 0;
      while (k < pairs.length && Math.floor(pairs[k] / vocab) === p) {
        const key = pairs[k];
        let c = 0;
        while (k < pairs.length && pairs[k] === key) { c++; k++; }
        total += c;
        next.push(key % vocab);
        cum.push(total);
      }
    }
    rowStart[vocab] = next.length;
    return new TokenNgram(vocab, uni, rowStart, Uint32Array.from(next), Float64Array.from(cum));
  }

  /** `count` sequences of `length` tokens, each token drawn from the unigram counts. */
  sampleUnigram(count: number, length: number, seed: number): Uint32Array[] {
    return Array.from({ length: count }, (_, i) => {
      const rng = new CounterRng(seed, STREAM.baselines, i);
      return Uint32Array.from({ length }, () => this.unigram(rng));
    });
  }

  /**
   * `count` sequences of `length` tokens: the first from the unigram, each
   * next one from the bigram row of the one before (the unigram where that
   * row is empty: a token seen only last).
   */
  sampleBigram(count: number, length: number, seed: number): Uint32Array[] {
    return Array.from({ length: count }, (_, i) => {
      const rng = new CounterRng(seed, STREAM.baselines, count + i);
      const out = new Uint32Array(length);
      for (let j = 0; j < length; j++) {
        const p = j === 0 ? -1 : out[j - 1];
        const lo = p < 0 ? 0 : this.rowStart[p], hi = p < 0 ? 0 : this.rowStart[p + 1];
        out[j] = hi > lo ? this.next(rng, lo, hi) : this.unigram(rng);
      }
      return out;
    });
  }

  private unigram(rng: CounterRng): number {
    return firstAbove(this.unigramCum, 0, this.vocab, rng.uniform() * this.unigramCum[this.vocab - 1]);
  }

  private next(rng: CounterRng, lo: number, hi: number): number {
    return this.nextToken[firstAbove(this.nextCum, lo, hi, rng.uniform() * this.nextCum[hi - 1])];
  }
}

/** The first index i in [lo, hi) with cum[i] > x (cum ascending; x below cum[hi − 1]). */
function firstAbove(cum: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi - 1) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid - 1] > x) hi = mid;
    else lo = mid;
  }
  return lo;
}
