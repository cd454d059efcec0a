/**
 * Where a model's tokenizer comes from when the checkpoint only names it
 * (`{type: 'hub', name}`, as a converted official checkpoint does), or when
 * the user gives one:
 *
 * - a `tokenizer.json` the user picks (any Hugging Face tokenizer.json);
 * - GPT-2's, built offline from its BPE files (gpt2Tokenizer.ts), for the
 *   names of GPT-2's vocabulary — no network;
 * - any other name fetched from the model hub (hubTokenizer.ts), cached.
 *
 * A tokenizer whose size does not fit the model's vocabulary is not used
 * (beyond a few added special tokens, see fitHfTokenizer): the model still
 * samples, and shows token ids, with a note that says why.
 */
import { GPT2_NAMES, GPT2_VOCAB } from './gpt2Tokenizer.ts';
import { fitHfTokenizer, HfTokenizer, hfDescription, hfVocabSize, MAX_EXTRA_IDS, type HfTokenizerFile, type HfTokenizerJSON } from './hfTokenizer.ts';
import type { TokenizerJSON } from './tokenizer.ts';

/** How the environment gets tokenizer files (the studio's worker: bundled chunks and fetch; Node tests: the file system and a mocked fetch). */
export interface TokenizerLoaders {
  /** GPT-2's tokenizer.json, built offline; absent: GPT-2 comes from the hub too. */
  gpt2?: () => Promise<HfTokenizerFile>;
  /** A tokenizer.json fetched by name from the model hub; absent: no network. */
  hub?: (name: string) => Promise<HfTokenizerJSON>;
}

/** Where the tokenizer in use came from. */
export type TokenizerOrigin = 'checkpoint' | 'file' | 'bundled' | 'hub' | 'none';

/** A tokenizer the user asks for: the checkpoint's own, a tokenizer.json's text, a name (GPT-2 offline or the hub), or none (token ids). */
export type TokenizerChoice =
  | { kind: 'checkpoint' }
  | { kind: 'file'; name: string; text: string }
  | { kind: 'name'; name: string }
  | { kind: 'none' };

export interface ResolvedTokenizer {
  /** The tokenizer to decode with (ready: never a bare name); null: token ids. */
  json: TokenizerJSON | null;
  origin: TokenizerOrigin;
  /** What to store with the model: the name for a bundled or fetched tokenizer (small), the whole file for a user's. */
  stored: TokenizerJSON | null;
  /** The tokenizer in words, e.g. `gpt2 (byte-level BPE, 50,258 tokens), built offline`. */
  label: string;
  /** Why the model shows token ids, or how the tokenizer was adapted; null when there is nothing to say. */
  note: string | null;
}

/** Vocabulary sizes of tokenizers the paper's checkpoints name, to skip a download that cannot fit. */
const KNOWN_SIZES = new Map<string, number>([
  ...[...GPT2_NAMES].map((n) => [n, GPT2_VOCAB] as [string, number]),
  ['bert-base-uncased', 30_522], ['google-bert/bert-base-uncased', 30_522],
]);

const tokens = (k: number) => `${k.toLocaleString('en-US')} token${k === 1 ? '' : 's'}`;

/** A named tokenizer for a model of vocabulary `vocab`; throws an Error that says why not (no network, no such name, a size that does not fit). */
export async function loadNamedTokenizer(name: string, vocab: number, loaders: TokenizerLoaders): Promise<{ json: HfTokenizerJSON; origin: 'bundled' | 'hub'; note: string | null }> {
  const known = KNOWN_SIZES.get(name);
  if (known !== undefined && (vocab < known || vocab > known + MAX_EXTRA_IDS)) {
    throw new Error(`the ${name} tokenizer has ${tokens(known)}, but this model's vocabulary has ${tokens(vocab)}`);
  }
  let file: HfTokenizerJSON;
  let origin: 'bundled' | 'hub';
  if (GPT2_NAMES.has(name) && loaders.gpt2) {
    file = { type: 'hf', name, tokenizer: await loaders.gpt2() };
    origin = 'bundled';
  } else if (loaders.hub) {
    file = await loaders.hub(name);
    origin = 'hub';
  } else {
    throw new Error(`the ${name} tokenizer is not bundled, and fetching it from the model hub is not available here`);
  }
  const fit = fitHfTokenizer(file, vocab);
  if ('reason' in fit) throw new Error(fit.reason);
  const added = vocab - hfVocabSize(file.tokenizer);
  return { json: fit.json, origin, note: added > 0 ? `ids ${vocab - added}…${vocab - 1} are special tokens the model adds to the tokenizer ([PAD]…)` : null };
}

function describe(json: TokenizerJSON, origin: TokenizerOrigin): string {
  if (json.type === 'char') return 'characters';
  if (json.type === 'bpe') return 'byte-level BPE';
  if (json.type === 'hub') return `${json.name} (not loaded)`;
  const d = hfDescription(json);
  return origin === 'bundled' ? `${d}, built offline` : origin === 'hub' ? `${d}, from the model hub` : origin === 'file' ? `${d}, from your file` : d;
}

const idsOnly = (note: string | null, stored: TokenizerJSON | null = null): ResolvedTokenizer => ({ json: null, origin: 'none', stored, label: 'none (token ids)', note });

/**
 * The tokenizer a model of vocabulary `vocab` samples with: `choice`
 * (default: the checkpoint's own, `own`), a named one resolved. Never throws
 * for a tokenizer that cannot be had: the result is token ids, with a note.
 * A user's file that is not a tokenizer.json, or that does not fit, throws
 * (the user asked for it: the message says why).
 */
export async function resolveTokenizer(
  own: TokenizerJSON | undefined, vocab: number, loaders: TokenizerLoaders, choice: TokenizerChoice = { kind: 'checkpoint' },
): Promise<ResolvedTokenizer> {
  if (choice.kind === 'none') return idsOnly(null);
  if (choice.kind === 'file') {
    const file = HfTokenizer.fromFile(choice.text, choice.name.replace(/\.json$/i, '')).toJSON();
    const fit = fitHfTokenizer(file, vocab);
    if ('reason' in fit) throw new Error(fit.reason);
    return { json: fit.json, origin: 'file', stored: fit.json, label: describe(fit.json, 'file'), note: null };
  }
  if (choice.kind === 'name') {
    const r = await loadNamedTokenizer(choice.name, vocab, loaders);
    return { json: r.json, origin: r.origin, stored: { type: 'hub', name: choice.name }, label: describe(r.json, r.origin), note: r.note };
  }
  if (!own) return idsOnly('this checkpoint has no tokenizer');
  if (own.type !== 'hub') return { json: own, origin: 'checkpoint', stored: own, label: describe(own, 'checkpoint'), note: null };
  try {
    const r = await loadNamedTokenizer(own.name, vocab, loaders);
    return { json: r.json, origin: r.origin, stored: own, label: describe(r.json, r.origin), note: r.note };
  } catch (e) {
    return idsOnly(`the checkpoint names the ${own.name} tokenizer, which could not be used: ${(e as Error).message}`, own);
  }
}
