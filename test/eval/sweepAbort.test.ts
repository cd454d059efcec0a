import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { runEvalSweep } from '../../src/eval/sweep.ts';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';

const load = (name: string) => decodeCheckpoint(new Uint8Array(readFileSync(`public/models/${name}.safetensors`)));

/**
 * Stop in the Evaluate view aborts the sweep's signal from the worker's
 * message handler: a task of its own. On a CPU backend every await of a
 * sweep resolves without leaving the microtask queue, so unless the sweep
 * yields between batches that task runs only once the sweep has finished.
 */
describe('evaluation sweep', () => {
  it('stops between batches when its signal is aborted from another task', async () => {
    const backend = new CpuBackend();
    const controller = new AbortController();
    let batches = 0;
    // A task queued now, as a Stop message would be, that aborts once the first batch is done.
    const stop = () => setTimeout(() => (batches > 0 ? controller.abort() : stop()), 0);
    stop();
    const sweep = runEvalSweep(backend, load('judge-micro-char'), [{ name: 'flm', checkpoint: load('flm-micro-char'), steps: [2] }], {
      samples: 8, batch: 1, seed: 3, signal: controller.signal,
      onProgress: (p) => { if (p.done > 0) batches = p.done; },
    });
    await expect(sweep).rejects.toMatchObject({ name: 'AbortError' });
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(8);
  });
});
