/**
 * Cheap, model-free statistics of generated text against the training
 * corpus, for comparing samplers before a judge model exists (issue 6):
 * the per-character NLL under the corpus's character bigram model, the
 * share of generated words (runs of 3+ letters) that occur in the corpus, and
 * the share of spaces. Lower NLL, more known words and a corpus-like space
 * share mean more text-like output.
 */

export class CharBigram {
  private constructor(
    private readonly index: Map<string, number>,
    private readonly logp: Float64Array,
    private readonly n: number,
  ) {}

  /** Add-one-smoothed bigram model over the corpus's characters (plus one slot for unseen ones). */
  static fit(text: string): CharBigram {
    const chars = [...new Set(text)];
    const index = new Map(chars.map((c, i) => [c, i]));
    const n = chars.length + 1;
    const counts = new Float64Array(n * n).fill(1);
    let prev = n - 1;
    for (const c of text) {
      const i = index.get(c)!;
      counts[prev * n + i]++;
      prev = i;
    }
    const logp = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      let sum = 0;
      for (let b = 0; b < n; b++) sum += counts[a * n + b];
      for (let b = 0; b < n; b++) logp[a * n + b] = Math.log(counts[a * n + b] / sum);
    }
    return new CharBigram(index, logp, n);
  }

  /** Mean negative log-likelihood per character, in nats. */
  nll(text: string): number {
    let prev = this.n - 1, sum = 0, count = 0;
    for (const c of text) {
      const i = this.index.get(c) ?? this.n - 1;
      sum -= this.logp[prev * this.n + i];
      count++;
      prev = i;
    }
    return count ? sum / count : NaN;
  }
}

/** Words of three or more letters: one- and two-letter runs are too often words by chance. */
const WORD = /[a-z]{3,}/g;

export function corpusWords(text: string): Set<string> {
  return new Set(text.toLowerCase().match(WORD) ?? []);
}

/** Share of the sample's words (runs of 3+ letters, lower-cased) that occur in `words`; NaN without words. */
export function knownWordShare(sample: string, words: Set<string>): number {
  const found = sample.toLowerCase().match(WORD) ?? [];
  return found.length ? found.filter((w) => words.has(w)).length / found.length : NaN;
}

export function spaceShare(text: string): number {
  return text.length ? (text.match(/ /g)?.length ?? 0) / text.length : NaN;
}

export interface TextStats { bigramNll: number; knownWords: number; spaces: number }

export function textStats(samples: string[], bigram: CharBigram, words: Set<string>): TextStats {
  const mean = (xs: number[]) => { const ok = xs.filter(Number.isFinite); return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN; };
  return {
    bigramNll: mean(samples.map((s) => bigram.nll(s))),
    knownWords: mean(samples.map((s) => knownWordShare(s, words))),
    spaces: mean(samples.map(spaceShare)),
  };
}
