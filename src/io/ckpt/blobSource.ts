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

/** A ByteSource over a Blob, each `read` a synchronous read of one slice. */
export function blobSource(blob: Blob, opts: BlobSourceOptions = {}): ByteSource {
  let reader: FileReaderSync | null = null;
  const readSync = opts.readSync ?? ((slice: Blob) => (reader ??= new FileReaderSync()).readAsArrayBuffer(slice));
  return {
    size: blob.size,
    read(offset, length) {
      const bytes = new Uint8Array(readSync(blob.slice(offset, offset + length)));
      opts.onRead?.(bytes.length);
      return bytes;
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
