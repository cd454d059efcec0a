/** Tiny runs on the CPU backend for the run-loop tests: a corpus, a config, an in-memory sink, a backend whose device can be "lost". */
import type { Backend, DType, Ops, Program, Tensor } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import type { CheckpointInfo } from '../../src/io/checkpointStore.ts';
import type { TrainConfig } from '../../src/io/meta.ts';
import { defaultConfig } from '../../src/model/config.ts';
import type { RunEvent } from '../../src/run/events.ts';
import type { CheckpointSink, RunOptions } from '../../src/run/loop.ts';
import { REFERENCE_TRAIN } from '../../src/train/schedule.ts';

export const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40) + 'a stitch in time saves nine.\n'.repeat(20);
export const tokenizer = CharTokenizer.fromText(text);
export const config = defaultConfig({ vocab: tokenizer.vocabSize, length: 16, hidden: 32, heads: 2, blocks: 2, cond: 16 });
export const train: TrainConfig = {
  ...REFERENCE_TRAIN, batch: 4, steps: 8, lr: 3e-3, warmup: 3, emaDecay: 0.99, seed: 7, evalEvery: 2, evalBatches: 1, dropout: 0,
};

/** The snapshots of a run, kept in memory (encoded, as a store would keep them). */
export class MemorySink implements CheckpointSink {
  readonly files: Uint8Array[] = [];

  async save(ckpt: Checkpoint): Promise<CheckpointInfo> {
    const bytes = encodeCheckpoint(ckpt);
    this.files.push(bytes);
    const at = ckpt.meta.createdAt;
    return { id: 'mem', name: ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step, bytes: bytes.length, createdAt: at, updatedAt: at, rev: this.files.length };
  }

  async load(): Promise<Checkpoint | null> {
    const last = this.files[this.files.length - 1];
    return last ? decodeCheckpoint(last) : null;
  }
}

/** What a run's snapshots record besides the trainer's state. */
export const meta = () => ({ name: 'run test', createdAt: '2026-01-01T00:00:00Z', tokenizer: tokenizer.toJSON() });

/** Run options for tests: no previews or periodic saves unless asked; events collected in `events`. */
export function options(events: RunEvent[], sink: CheckpointSink, o: Partial<RunOptions> = {}): RunOptions {
  return {
    runId: 'run-1', name: 'run test', checkpointId: 'mem', target: train.steps, saveEvery: 0, sampleEvery: 0,
    meta, sink, tokenizer, unigramEntropy: 0, emit: (e) => events.push(e), ...o,
  };
}

/** The losses of the step events, by step (a step done twice after a recovery keeps its last loss). */
export function lossesByStep(events: RunEvent[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of events) if (e.type === 'step') out.set(e.step, e.loss);
  return out;
}

/** The error a lost device throws in these tests (a real one comes from WebGPU). */
export class FakeDeviceLost extends Error {
  constructor() {
    super('The GPU device was lost (destroyed): fake loss for a test.');
  }
}

/** The CPU backend behind a device that can be lost: once `lost`, every read fails. */
export class LosableBackend implements Backend {
  lost = false;
  constructor(private readonly inner: Backend = new CpuBackend()) {}
  get name() { return this.inner.name; }
  get description() { return `${this.inner.description} (losable)`; }
  get ops(): Ops { return this.inner.ops; }
  tensor(size: number, label?: string, dtype?: DType): Tensor { return this.inner.tensor(size, label, dtype); }
  view(t: Tensor, offset: number, size: number, label?: string): Tensor { return this.inner.view(t, offset, size, label); }
  write(t: Tensor, data: Float32Array | Uint32Array, offset?: number): void { this.inner.write(t, data, offset); }
  read(t: Tensor): Promise<Float32Array> { return this.lost ? Promise.reject(new FakeDeviceLost()) : this.inner.read(t); }
  readU32(t: Tensor): Promise<Uint32Array> { return this.lost ? Promise.reject(new FakeDeviceLost()) : this.inner.readU32(t); }
  compile(fn: () => void): Program { return this.inner.compile(fn); }
  sync(): Promise<void> { return this.inner.sync(); }
  release(t: Tensor): void { this.inner.release(t); }
  destroy(): void { this.inner.destroy(); }
}
