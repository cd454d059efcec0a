/**
 * `npm run bench:quality [-- --flm <file> --fmlm <file|none> --flowmap <file|none> --corpus brown
 *    --flm-steps 1,8,64 --fmlm-steps 1,4 --count 64 --seed 7 --backend cpu --threads N --out file.json]`
 *
 * Compares samplers on the same noise: the FLM with 1, 8 and 64 Euler steps,
 * the FMLM with 1 (and 4) steps, the stage-1 flow map with its teacher (two
 * networks, 1 step). For each: text statistics against the training corpus
 * (character-bigram NLL, share of known words, share of spaces; the
 * validation text itself as the reference row, in windows as long as the
 * samples' mean length in characters), latency per sample, and sample 0's
 * text. Two floors sit beside them: samples of the same count and length
 * drawn from the token unigram and bigram counts of the training text, in
 * the FLM's tokenizer (with a larger vocabulary even unigram text holds
 * many known words). The corpus comes from the command line (a bundled id or a file),
 * never from a checkpoint. `none` skips the FMLM or the flow map. Prints a
 * table; writes JSON (bench/results/quality.json).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { stepsOption } from '../src/cli/args.ts';
import { createBackend, isBackendChoice, type BackendChoice } from '../src/cli/backend.ts';
import { loadCorpusText } from '../src/cli/train.ts';
import { splitTrainVal } from '../src/data/corpus.ts';
import { tokenizerFromJSON } from '../src/data/tokenizer.ts';
import { CharBigram, corpusWords, textStats, type TextStats } from '../src/eval/textStats.ts';
import { TokenNgram } from '../src/eval/tokenNgram.ts';
import { decodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { SamplingSession } from '../src/sampling/session.ts';

const { values } = parseArgs({
  options: {
    flm: { type: 'string', default: 'public/models/flm-micro-char.safetensors' },
    fmlm: { type: 'string', default: 'public/models/fmlm-micro-char.safetensors' },
    flowmap: { type: 'string', default: 'public/models/flowmap-micro-char.safetensors' },
    corpus: { type: 'string', default: 'brown' },
    'flm-steps': { type: 'string', default: '1,8,64' },
    'fmlm-steps': { type: 'string', default: '1,4' },
    count: { type: 'string', default: '64' }, seed: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'cpu' }, threads: { type: 'string' },
    out: { type: 'string', default: 'bench/results/quality.json' },
  },
});
const count = Number(values.count), seed = Number(values.seed);
if (!isBackendChoice(values.backend!)) throw new Error(`--backend: auto, wasm, webgpu or cpu, got "${values.backend}"`);
const load = (path: string): Checkpoint => decodeCheckpoint(new Uint8Array(readFileSync(path)));
const optional = (path: string | undefined): Checkpoint | null => (!path || path === 'none' ? null : load(path));
const flm = load(values.flm!), fmlm = optional(values.fmlm), flowmap = optional(values.flowmap);

const corpus = loadCorpusText(values.corpus!);
const split = splitTrainVal(corpus.text);
const bigram = CharBigram.fit(split.train), words = corpusWords(split.train);
const L = flm.config.length;

interface Row extends TextStats { sampler: string; steps: number; ms_per_sample: number; sample0: string }
const rows: Row[] = [];

const backend = await createBackend(values.backend as BackendChoice, values.threads ? { threads: Number(values.threads) } : {});
const cases: { label: string; ckpt: Checkpoint; teacher?: Checkpoint; steps: number[] }[] = [
  { label: 'FLM (Euler)', ckpt: flm, steps: stepsOption(values['flm-steps']!, 'flm-steps') },
  ...(fmlm ? [{ label: 'FMLM (one network)', ckpt: fmlm, steps: stepsOption(values['fmlm-steps']!, 'fmlm-steps') }] : []),
  ...(flowmap ? [{ label: 'flow map + FLM (two networks)', ckpt: flowmap, teacher: flm, steps: [1] }] : []),
];
let chars = 0, texts = 0;
for (const c of cases) {
  const session = new SamplingSession(backend, c.ckpt, { teacher: c.teacher });
  await session.run({ steps: 1, seed: seed + 1, count, k: 1 }); // compile the pipelines
  for (const steps of c.steps) {
    const run = await session.run({ steps, seed, count, k: 1 });
    for (const t of run.texts) { chars += t.length; texts++; }
    rows.push({ sampler: c.label, steps, ms_per_sample: run.msTotal / count, sample0: run.texts[0], ...textStats(run.texts, bigram, words) });
    console.error(`${c.label}, ${steps} step(s): ${(run.msTotal / count).toFixed(1)} ms/sample`);
  }
  session.release();
}
// The reference: validation text in windows as long as the samples (L characters for a character model).
const W = Math.max(1, Math.round(chars / texts));
const valWindows = Array.from({ length: count }, (_, i) => split.val.slice(i * W, (i + 1) * W));
// The floors: token unigram and bigram samples in the FLM's tokenizer, counted on the training text.
if (!flm.meta.tokenizer) throw new Error(`${values.flm} records no tokenizer: the floors need one`);
const tokenizer = tokenizerFromJSON(flm.meta.tokenizer);
const ngram = TokenNgram.fit(tokenizer.encode(split.train), tokenizer.vocabSize);
const floors = [
  { sampler: 'token unigram (floor)', texts: ngram.sampleUnigram(count, L, seed).map((s) => tokenizer.decode(s)) },
  { sampler: 'token bigram (floor)', texts: ngram.sampleBigram(count, L, seed).map((s) => tokenizer.decode(s)) },
];
rows.unshift(
  { sampler: 'validation text (reference)', steps: 0, ms_per_sample: 0, sample0: valWindows[0], ...textStats(valWindows, bigram, words) },
  ...floors.map((f) => ({ sampler: f.sampler, steps: 0, ms_per_sample: 0, sample0: f.texts[0], ...textStats(f.texts, bigram, words) })),
);
backend.destroy();

const show = (s: string) => s.replace(/ /g, '·').replace(/\n/g, '↵');
console.log(`\n## Samplers on the same noise (seed ${seed}, ${count} samples of ${L} tokens, ~${W} characters; corpus ${corpus.id}; ${backend.description})\n`);
console.log('| sampler | steps | char-bigram NLL (nats/char) | known words | spaces | ms/sample |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.sampler} | ${r.steps || '—'} | ${r.bigramNll.toFixed(3)} | ${(100 * r.knownWords).toFixed(1)} % | ${(100 * r.spaces).toFixed(1)} % | ${r.ms_per_sample ? r.ms_per_sample.toFixed(1) : '—'} |`);
console.log('\n## Sample 0 of each (· space, ↵ line break)\n');
for (const r of rows) console.log(`- ${r.sampler}${r.steps ? `, ${r.steps} step${r.steps === 1 ? '' : 's'}` : ''}: \`${show(r.sample0)}\``);
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify({ date: new Date().toISOString(), seed, count, corpus: corpus.id, backend: backend.description, rows }, null, 1));
