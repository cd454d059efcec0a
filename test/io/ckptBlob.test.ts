/**
 * Reading a `.ckpt` the way the studio's worker reads a File: slice by slice
 * (FileReaderSync there; a synchronous stand-in here), only the slices the
 * model needs, with progress; and a converted checkpoint that names its
 * tokenizer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { blobSource, CkptError, readLightningBlob, readLightningCkpt, type CkptProgress } from '../../src/io/ckpt/index.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/official-ckpt/${name}`, import.meta.url)));

/** Blob.slice's bytes, synchronously (Node's Blob reads only asynchronously): the test keeps the bytes beside the blob. */
function syncReader(bytes: Uint8Array) {
  const reads: [number, number][] = [];
  const blob = new Blob([bytes.slice()]);
  const byBlob = new WeakMap<Blob, [number, number]>();
  const slice = blob.slice.bind(blob);
  blob.slice = (start?: number, end?: number) => {
    const s = slice(start, end);
    byBlob.set(s, [start ?? 0, end ?? bytes.length]);
    return s;
  };
  const readSync = (b: Blob) => {
    const [start, end] = byBlob.get(b)!;
    reads.push([start, end]);
    return bytes.slice(start, end).buffer;
  };
  return { blob, readSync, reads };
}

describe('reading a .ckpt File slice by slice', () => {
  it('reads only what the model needs, reports progress up to the total, and gives the same checkpoint as the bytes', async () => {
    const bytes = fixture('fmlm.ckpt');
    const { blob, readSync, reads } = syncReader(bytes);
    const progress: CkptProgress[] = [];
    const a = await readLightningBlob(blob, { readSync, name: 'fmlm', createdAt: 'x', onProgress: (p) => progress.push(p) });
    const b = readLightningCkpt(bytes, { name: 'fmlm', createdAt: 'x' });
    expect(Buffer.compare(encodeCheckpoint(a.checkpoint), encodeCheckpoint(b.checkpoint))).toBe(0);
    const read = reads.reduce((n, [s, e]) => n + e - s, 0);
    expect(read).toBeLessThan(bytes.length); // the optimizer state and most of the teacher's weights are skipped
    expect(reads.length).toBeLessThan(100); // 263 without the read-ahead // small reads (local headers, names, small storages) come from blocks read ahead
    expect(progress[0].loaded).toBe(0);
    const last = progress[progress.length - 1];
    expect(last.loaded).toBe(last.total);
    expect(progress.every((p, i) => i === 0 || p.loaded > progress[i - 1].loaded)).toBe(true);
    // weights + EMA in float32: 2 × 165,798 parameters, plus the rotary buffer
    expect(last.total).toBe(2 * 165_798 * 4 + 8 * 4);
    console.log(`fmlm.ckpt: ${bytes.length} bytes, ${reads.length} reads of ${read} bytes (${(100 * read / bytes.length).toFixed(0)}%)`);
  });

  it('small reads come from a block read ahead, large ones straight from the file; a read at the end stays inside it', () => {
    const bytes = new Uint8Array(600_000).map((_, i) => i % 251);
    const { blob, readSync, reads } = syncReader(bytes);
    const src = blobSource(blob, { readSync });
    expect(Array.from(src.read(10, 5))).toEqual(Array.from(bytes.slice(10, 15)));
    expect(Array.from(src.read(1000, 30))).toEqual(Array.from(bytes.slice(1000, 1030)));
    expect(reads).toEqual([[10, 10 + 32768]]);
    expect(src.read(300_000, 100_000).length).toBe(100_000);
    expect(Array.from(src.read(599_990, 10))).toEqual(Array.from(bytes.slice(599_990)));
    expect(reads.slice(1)).toEqual([[300_000, 400_000], [599_990, 600_000]]);
  });

  it('a damaged file is a CkptError, read slice by slice as in bytes', async () => {
    const bytes = fixture('flm.ckpt').slice(0, 100_000);
    const { blob, readSync } = syncReader(bytes);
    await expect(readLightningBlob(blob, { readSync })).rejects.toBeInstanceOf(CkptError);
    const src = blobSource(blob, { readSync });
    expect(src.size).toBe(100_000);
  });

  it('without synchronous reads (a page, Node), the file is read whole first', async () => {
    const r = await readLightningBlob(new Blob([fixture('flm.ckpt')]));
    expect(r.checkpoint.config.vocab).toBe(37);
  });

  it('the checkpoint names its tokenizer (data.tokenizer_name_or_path), and the converted file keeps the name', () => {
    const { checkpoint } = readLightningCkpt(fixture('flm_bf16.ckpt'));
    expect(checkpoint.meta.tokenizer).toEqual({ type: 'hub', name: 'gpt2' });
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint)).meta.tokenizer).toEqual({ type: 'hub', name: 'gpt2' });
  });
});
