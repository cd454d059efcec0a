/**
 * Model checkpoints and corpora as the workers find them: the studio's
 * bundled models (public/models/, listed in index.json), the checkpoints in
 * IndexedDB, model URLs, the bundled corpus or the user's text; and where a
 * distilled checkpoint's teachers are. Shared by the training, sampling and
 * evaluation workers.
 */
import type { Checkpoint } from '../src/io/checkpoint.ts';
import type { CheckpointStore } from '../src/io/checkpointStore.ts';
import { decodeCorpusBytes } from '../src/data/corpus.ts';
import { checkModelUrl, fetchModel } from '../src/io/remoteModel.ts';
import { publicUrl } from './backends.ts';
import type { CorpusSource, LoadProgress, ModelEntry, ModelSource, ModelRef } from './protocol.ts';

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
  if (src.kind === 'stored') return { name: src.id, bytes: await store.load(src.id) };
  if (src.kind === 'url') {
    const url = checkModelUrl(src.url);
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? url.href);
    return { name, bytes: await fetchModel(url.href, { onProgress: (p) => onProgress?.({ what: name, ...p }) }) };
  }
  if (!/^[\w.-]+\.safetensors$/.test(src.file)) throw new Error(`not a bundled model file name: ${src.file}`);
  const bytes = await fetchModel(publicUrl(`models/${src.file}`), { onProgress: (p) => onProgress?.({ what: src.file, ...p }) });
  return { name: src.file, bytes };
}

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
