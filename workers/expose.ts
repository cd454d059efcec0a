/**
 * How a worker offers its API to the UI: through comlink, with every error
 * its calls throw turned into the one WorkerError (protocol.ts), whose code
 * says what went wrong (a download's code, a bad checkpoint, a full
 * storage…) so that the UI never parses error names or messages.
 */
import * as Comlink from 'comlink';
import { CorpusError } from '../src/data/corpus.ts';
import { GpuDeviceLostError } from '../src/engine/webgpu/errors.ts';
import { CheckpointError } from '../src/io/checkpoint.ts';
import { StorageFullError } from '../src/io/checkpointStore.ts';
import { MetaError } from '../src/io/meta.ts';
import { RemoteModelError } from '../src/io/remoteModel.ts';
import { SafetensorsError } from '../src/io/safetensors.ts';
import { RunBusyError } from '../src/run/loop.ts';
import { registerWorkerErrors, WorkerError } from './protocol.ts';

/** Any thrown value as a WorkerError, the code taken from the typed error it is. */
export function toWorkerError(e: unknown): WorkerError {
  if (e instanceof WorkerError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof RemoteModelError) return new WorkerError(e.code, message);
  if (e instanceof CheckpointError || e instanceof SafetensorsError || e instanceof MetaError) return new WorkerError('bad-checkpoint', message);
  if (e instanceof CorpusError) return new WorkerError('bad-corpus', message);
  if (e instanceof StorageFullError) return new WorkerError('storage-full', message);
  if (e instanceof RunBusyError) return new WorkerError('busy', message);
  if (e instanceof GpuDeviceLostError) return new WorkerError('device-lost', message);
  return new WorkerError('failed', message);
}

/**
 * Expose `api` (an object of async methods) to the UI, on the worker's scope
 * or on `endpoint`; whatever a method throws arrives as a WorkerError.
 */
export function exposeApi<T extends object>(api: T, endpoint?: Comlink.Endpoint): void {
  registerWorkerErrors();
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(api)) {
    guarded[name] = typeof value !== 'function' ? value : async (...args: unknown[]) => {
      try {
        return await value.apply(api, args);
      } catch (e) {
        throw toWorkerError(e);
      }
    };
  }
  Comlink.expose(guarded, endpoint);
}
