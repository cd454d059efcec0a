import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/io/checkpoint.ts';
import { RemoteModelError } from '../../src/io/remoteModel.ts';
import { RunBusyError } from '../../src/run/loop.ts';
import { exposeApi, toWorkerError } from '../../workers/expose.ts';
import { registerWorkerErrors, WorkerError } from '../../workers/protocol.ts';

/** What a worker's failures become: the one WorkerError, its code kept across comlink. */
describe('worker errors', () => {
  const ports: { close(): void }[] = [];
  afterEach(() => { for (const p of ports.splice(0)) p.close(); });

  it('typed errors map to codes; anything else is "failed"', () => {
    expect(toWorkerError(new RemoteModelError('cors', 'refused'))).toMatchObject({ code: 'cors', message: 'refused' });
    expect(toWorkerError(new CheckpointError('shape-mismatch', 'bad shape')).code).toBe('bad-checkpoint');
    expect(toWorkerError(new RunBusyError()).code).toBe('busy');
    expect(toWorkerError(new Error('boom'))).toMatchObject({ code: 'failed', message: 'boom' });
    expect(toWorkerError('text')).toMatchObject({ code: 'failed', message: 'text' });
  });

  it('a thrown error crosses comlink as a WorkerError with its code and message', async () => {
    // A MessageChannel stands in for the worker's scope.
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const api = {
      async load(): Promise<void> { throw new RemoteModelError('not-found', 'Model not found: x.safetensors'); },
      async plain(): Promise<void> { throw new Error('plain failure'); },
      async fine(x: number): Promise<number> { return 2 * x; },
    };
    exposeApi(api, port1 as unknown as Comlink.Endpoint);
    registerWorkerErrors();
    const remote = Comlink.wrap<typeof api>(port2 as unknown as Comlink.Endpoint);
    expect(await remote.fine(21)).toBe(42);
    const e = await remote.load().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkerError);
    expect(e).toMatchObject({ code: 'not-found', message: 'Model not found: x.safetensors' });
    await expect(remote.plain()).rejects.toMatchObject({ name: 'WorkerError', code: 'failed', message: 'plain failure' });
  });
});
