import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { presetTrain } from '../../src/train/presets.ts';
import { flmMeasured, QUICK, tinyCheckpoint, tinySetup } from './cli.ts';

/**
 * Issue 20, defect 4: metadata or options that ask for impossible work (a
 * batch of 10⁸, a sequence length of 16384) are refused before anything is
 * allocated, with a message that names the limit.
 */
const MAX_RSS = 400 * 2 ** 20;

function refusedFast(r: ReturnType<typeof flmMeasured>, what: string, message: RegExp): void {
  expect(r.status, `${what}: ${r.stderr}`).toBe(2);
  expect(r.cpuSeconds, what).toBeLessThan(10); // the wall time too, on a machine of its own
  expect(r.maxRss, what).toBeLessThan(MAX_RSS);
  expect(r.stderr, what).toMatch(message);
}

describe('impossible work is refused before allocation', () => {
  it('a batch the memory budget cannot hold: from a checkpoint (1e8) or the command line (100000)', async () => {
    const { p, corpus, model } = await tinySetup('impossible-batch');
    const train = { ...presetTrain('micro', 10), evalEvery: 0, evalBatches: 1 };
    const withBatch = (batch: number) => {
      const path = p(`batch-${batch}.safetensors`);
      writeFileSync(path, encodeCheckpoint(tinyCheckpoint('flm', { meta: { train: { ...train, batch } } })));
      return path;
    };
    const out = p('out.safetensors');
    const budget = /estimated [\d.]+ GiB .*more than the (\d+) GiB (budget|limit)/;
    refusedFast(flmMeasured(['train', '--corpus', corpus, '--resume', withBatch(1e8), '--out', out, ...QUICK, '--steps', '1']), 'resume, batch 1e8', budget);
    refusedFast(flmMeasured(['train', '--corpus', corpus, '--preset', 'micro', '--batch', '100000', '--out', out, ...QUICK, '--steps', '1']), 'train --batch 100000', budget);
    // (the tiny teacher at batch 100000 would fit the budget: a million does not)
    refusedFast(flmMeasured(['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--batch', '1000000', '--out', out, ...QUICK, '--steps', '1']), 'distill --batch 1000000', budget);
    refusedFast(flmMeasured(['train-judge', '--corpus', corpus, '--batch', '100000', '--out', out, ...QUICK, '--steps', '1']), 'train-judge --batch 100000', budget);
    // Settings that are no batch at all.
    for (const batch of [0.5, -3, 0]) {
      refusedFast(flmMeasured(['train', '--corpus', corpus, '--resume', withBatch(batch), '--out', out, ...QUICK, '--steps', '1']), `batch ${batch}`, /batch .*whole number/);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a 5 MB checkpoint whose config (within the limits) needs 24 GiB to sample or train: refused naming the budget', async () => {
    const { p, corpus } = await tinySetup('impossible-vocab');
    const path = p('wide.safetensors');
    // V 262144 × L 4096 with D 2: small weights, 4 GiB of logits per sequence.
    writeFileSync(path, encodeCheckpoint(tinyCheckpoint('flm', { config: { vocab: 262144, length: 4096, hidden: 2, heads: 1, cond: 8 }, meta: { tokenizer: undefined } })));
    const budget = /estimated [\d.]+ GiB .*more than the 16 GiB budget/;
    refusedFast(flmMeasured(['sample', '--checkpoint', path, '--steps', '1', '--backend', 'cpu']), 'sample', budget);
    refusedFast(flmMeasured(['train', '--corpus', corpus, '--resume', path, '--out', p('out.safetensors'), ...QUICK, '--steps', '1']), 'resume', budget);
  });

  it('a checkpoint whose metadata says length 16384 or 100000: sample, train --resume and distill fail fast naming the limit', async () => {
    const { p, corpus } = await tinySetup('impossible-length');
    const good = readSafetensors(encodeCheckpoint(tinyCheckpoint('flm')));
    const out = p('out.safetensors');
    for (const length of [16384, 100000]) {
      const path = p(`L${length}.safetensors`);
      writeFileSync(path, writeSafetensors(good.tensors, { ...good.metadata, length: String(length) }));
      const limit = new RegExp(`length ${length} is above the limit of 4096`);
      refusedFast(flmMeasured(['sample', '--checkpoint', path, '--steps', '1', '--backend', 'cpu']), `sample L ${length}`, limit);
      refusedFast(flmMeasured(['train', '--corpus', corpus, '--resume', path, '--out', out, ...QUICK, '--steps', '1']), `resume L ${length}`, limit);
      refusedFast(flmMeasured(['distill', '--stage', '1', '--teacher', path, '--corpus', corpus, '--out', out, ...QUICK, '--steps', '1']), `distill L ${length}`, limit);
    }
  });
});
