/**
 * Reading a `.ckpt` the user picked (a File) in a browser without holding
 * the whole file: in a worker, `FileReaderSync` reads just the slices the
 * zip reader asks for (the central directory, data.pkl, the storages of the
 * weights and the EMA; never the optimizer state), so a multi-gigabyte
 * checkpoint costs the memory of its weights, and the page never waits on
 * it. Where synchronous reads do not exist (a page's main thread, Node), the
 * file is read whole first.
 */
import { readLightningCkpt, type LightningCheckpoint, type ReadCkptOptions } from './lightning.ts';
import { bytesSource, type ByteSource } from './zip.ts';

export interface BlobSourceOptions {
  /** Read a slice synchronously (default: FileReaderSync). */
  readSync?: (slice: Blob) => ArrayBuffer;
  /** Called after each read with the bytes it read. */
  onRead?: (bytes: number) => void;
}

/** Whether this scope can read Blobs synchronously (dedicated workers can). */
export const canReadBlobsSync = (): boolean => typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function';

/** Reads shorter than this are served from a block read ahead (a zip entry's local header, its name, a small tensor's storage). */
const SMALL_READ = 16 * 1024;
/** The block read ahead for small reads. */
const BLOCK = 32 * 1024;

/**
 * A ByteSource over a Blob, each `read` a synchronous read of one slice;
 * small reads come from one block read ahead (each synchronous read costs
 * a round trip to the browser's file system, whatever its size).
 */
export function blobSource(blob: Blob, opts: BlobSourceOptions = {}): ByteSource {
  let reader: FileReaderSync | null = null;
  const readSync = opts.readSync ?? ((slice: Blob) => (reader ??= new FileReaderSync()).readAsArrayBuffer(slice));
  const fetch = (offset: number, length: number) => {
    const bytes = new Uint8Array(readSync(blob.slice(offset, offset + length)));
    opts.onRead?.(bytes.length);
    return bytes;
  };
  let block: { start: number; bytes: Uint8Array } | null = null;
  return {
    size: blob.size,
    read(offset, length) {
      if (length >= SMALL_READ) return fetch(offset, length);
      if (!block || offset < block.start || offset + length > block.start + block.bytes.length) {
        block = { start: offset, bytes: fetch(offset, Math.min(BLOCK, blob.size - offset)) };
      }
      return block.bytes.subarray(offset - block.start, offset - block.start + length);
    },
  };
}

/**
 * Read an official Lightning `.ckpt` from a Blob: slice by slice where the
 * scope can read synchronously (a worker), else the whole file first.
 * Throws CkptError, with one line saying why.
 */
export async function readLightningBlob(blob: Blob, opts: ReadCkptOptions & Pick<BlobSourceOptions, 'readSync'> = {}): Promise<LightningCheckpoint> {
  if (opts.readSync || canReadBlobsSync()) return readLightningCkpt(blobSource(blob, { readSync: opts.readSync }), opts);
  return readLightningCkpt(bytesSource(new Uint8Array(await blob.arrayBuffer())), opts);
}
