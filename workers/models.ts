/**
 * Model checkpoints as the workers find them: the studio's bundled models
 * (public/models/, listed in index.json) and the checkpoints in IndexedDB;
 * and where a distilled checkpoint's teachers are. Shared by the training
 * and sampling workers.
 */
import type { Checkpoint } from '../src/io/checkpoint.ts';
import type { CheckpointStore } from '../src/io/checkpointStore.ts';
import { publicUrl } from './backends.ts';
import type { ModelEntry, ModelSource, StoredModelSource } from './protocol.ts';

interface BundledIndex { models: { file: string; name: string; description?: string }[] }

/** The bundled models listed in public/models/index.json (none when there is no index). */
export async function bundledModels(): Promise<ModelEntry[]> {
  const res = await fetch(publicUrl('models/index.json'));
  if (!res.ok) return [];
  const index = (await res.json()) as BundledIndex;
  return index.models.map((m) => ({ source: { kind: 'bundled', file: m.file }, name: m.name, detail: m.description ?? 'bundled' }));
}

/** The `.safetensors` bytes of a model (not yet decoded) and a name for it. */
export async function modelBytes(store: CheckpointStore, src: ModelSource): Promise<{ name: string; bytes: Uint8Array }> {
  if (src.kind === 'bytes') return { name: src.name, bytes: new Uint8Array(src.bytes) };
  if (src.kind === 'stored') return { name: src.id, bytes: await store.load(src.id) };
  if (!/^[\w.-]+\.safetensors$/.test(src.file)) throw new Error(`not a bundled model file name: ${src.file}`);
  const res = await fetch(publicUrl(`models/${src.file}`));
  if (!res.ok) throw new Error(`could not load the bundled model ${src.file} (HTTP ${res.status})`);
  return { name: src.file, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/**
 * Where a distilled checkpoint's teachers are (f, and g for stage 2), as its
 * `extra.teacherSources` records them; only sources the studio can load
 * (bundled or stored, not a file on someone's disk).
 */
export function teacherSources(ckpt: Checkpoint): { f?: StoredModelSource; g?: StoredModelSource } {
  const saved = (ckpt.meta.extra as { teacherSources?: { f?: { kind?: string }; g?: { kind?: string } } } | undefined)?.teacherSources;
  const ok = (s: { kind?: string } | undefined) => (s && (s.kind === 'bundled' || s.kind === 'stored') ? (s as StoredModelSource) : undefined);
  return { f: ok(saved?.f), g: ok(saved?.g) };
}
