import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/io/checkpointStore.ts';
import { openModel } from '../../workers/models.ts';

const FLM = new Uint8Array(readFileSync(new URL('../../public/models/flm-micro-char.safetensors', import.meta.url)));

describe('a stored checkpoint opened for sampling', () => {
  it('goes by the name it was renamed to (the Sample view showed the name of the file)', async () => {
    const store = new CheckpointStore(`flm-test-stored-name-${Date.now()}`);
    const saved = await store.save(FLM, { name: 'micro on Brown corpus (bundled)', kind: 'flm', step: 40 });
    await store.rename(saved.id, 'my first FLM');
    const { name, ckpt } = await openModel(store, { kind: 'stored', id: saved.id });
    expect(name).toBe('my first FLM');
    expect(ckpt.meta.name).toBe('my first FLM');
    expect(ckpt.params.length).toBeGreaterThan(0);
  });
});
