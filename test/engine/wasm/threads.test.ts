/**
 * The wasm backend's worker pool (Node worker threads over a shared memory):
 * every kernel case and a few training steps give the bits of one thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../../../src/engine/wasm/wasmBackend.ts';
import { nodeSpawn } from '../../../src/engine/wasm/nodeWorkers.ts';
import { kernelsModule } from '../../../src/engine/wasm/kernels.ts';
import { KernelPool } from '../../../src/engine/wasm/pool.ts';
import { CharTokenizer } from '../../../src/data/charTokenizer.ts';
import { splitTrainVal } from '../../../src/data/corpus.ts';
import { defaultConfig } from '../../../src/model/config.ts';
import { REFERENCE_TRAIN, type TrainConfig } from '../../../src/train/schedule.ts';
import { FlmTrainer } from '../../../src/train/trainer.ts';
import { cases, compare } from '../../kernels/cases.ts';

describe('wasm worker pool: the bits of one thread', () => {
  let pooled: WasmBackend;
  beforeAll(async () => {
    pooled = await WasmBackend.create({ threads: 3, spawn: nodeSpawn, poolEverything: true, initialPages: 16 });
  });
  afterAll(() => pooled.destroy());

  it('starts shared memory and 2 workers; threads > 1 without a spawn function is refused', async () => {
    expect(pooled.threads).toBe(3);
    expect(pooled.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    await expect(WasmBackend.create({ threads: 2 })).rejects.toThrow(/spawn/);
  });

  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const one = await c.run(await WasmBackend.create({ initialPages: 16 }));
      const three = await c.run(pooled);
      for (const [name, g] of Object.entries(one)) expect(compare(three[name], g, { exact: true }), name).toBe('');
    });
  }

  it('FLM training (with dropout) on 2 and 3 threads: the same losses and weights', async () => {
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
    const tok = CharTokenizer.fromText(text);
    const split = splitTrainVal(text, 0.2);
    const data = { train: tok.encode(split.train), val: tok.encode(split.val) };
    const cfg = defaultConfig({ vocab: tok.vocabSize, length: 15, hidden: 36, heads: 2, blocks: 2, cond: 16 });
    const train: TrainConfig = { ...REFERENCE_TRAIN, batch: 3, steps: 10, lr: 3e-3, warmup: 3, emaDecay: 0.99, seed: 7, evalEvery: 0, evalBatches: 2, dropout: 0.1 };
    const run = async (b: WasmBackend) => {
      const t = new FlmTrainer(b, cfg, train, data);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) losses.push((await t.trainStep()).loss);
      const params = await b.read(t.model.params);
      t.release();
      return { losses, params };
    };
    const base = await run(await WasmBackend.create());
    for (const threads of [2, 3]) {
      const b = await WasmBackend.create({ threads, spawn: nodeSpawn, poolEverything: true });
      const r = await run(b);
      b.destroy();
      expect(r.losses, `${threads} threads`).toEqual(base.losses);
      expect(r.params, `${threads} threads`).toEqual(base.params);
    }
  });

  it("a worker's failure reaches the caller with the worker's own message, and the pool goes on", async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const pool = await KernelPool.create(nodeSpawn, 2, await kernelsModule(true), memory);
    try {
      const outside = 1 << 30; // far past the one page of memory: the workers' part traps
      expect(() => pool.run('globalNormSqPartials', [0, outside, 1 << 22], 3, 0, 3, -1, () => {}))
        .toThrow(/globalNormSqPartials failed in a worker: .*out of bounds/);
      expect(() => pool.run('globalNormSqPartials', [0, 1024, 64], 3, 0, 3, -1, () => {})).not.toThrow();
    } finally {
      pool.terminate();
    }
  });
});
