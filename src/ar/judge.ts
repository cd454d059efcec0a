/**
 * Scoring token sequences with a trained autoregressive judge (its EMA
 * weights) on an inference-only DiT: per sequence, the mean next-token
 * negative log-likelihood in nats over its L tokens (the first token scored
 * from the beginning-of-sequence row alone). Runs wherever a Backend does.
 */
import type { Backend, Program } from '../engine/backend.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { DiT } from '../model/dit.ts';
import { uploadWeights } from '../model/weights.ts';
import { writeArInput } from './input.ts';

export class Judge {
  readonly model: DiT;
  private readonly program: Program;
  private readonly xHost: Float32Array;
  private readonly tokHost: Uint32Array;

  /** `batch`: sequences per forward pass. Uses the checkpoint's EMA weights (its weights when it has none). */
  constructor(readonly backend: Backend, readonly checkpoint: Checkpoint, readonly batch = 16) {
    const cfg = checkpoint.config;
    if (!cfg.causal) throw new Error('Judge: this checkpoint is not an autoregressive judge (its attention is not causal)');
    if (checkpoint.meta.kind !== 'judge') throw new Error(`Judge: this checkpoint is a ${checkpoint.meta.kind}, not a judge`);
    this.model = new DiT(backend, cfg, batch, { inference: true });
    uploadWeights(backend, checkpoint, this.model.params);
    backend.write(this.model.t, new Float32Array(batch));
    this.xHost = new Float32Array(batch * cfg.length * cfg.vocab);
    this.tokHost = new Uint32Array(batch * cfg.length);
    const model = this.model;
    this.program = backend.compile(() => {
      model.forward();
      model.crossEntropyLoss();
    });
  }

  get length(): number {
    return this.checkpoint.config.length;
  }

  get vocab(): number {
    return this.checkpoint.config.vocab;
  }

  /**
   * Per-sequence mean NLL (nats/token) of `count` sequences of L tokens laid
   * end to end in `tokens`.
   */
  async nll(tokens: Uint32Array, count: number): Promise<Float64Array> {
    const L = this.length, V = this.vocab, B = this.batch;
    if (tokens.length < count * L) throw new RangeError(`Judge.nll: ${tokens.length} tokens for ${count} sequences of ${L}`);
    const out = new Float64Array(count);
    for (let start = 0; start < count; start += B) {
      const n = Math.min(B, count - start);
      this.tokHost.fill(0);
      this.tokHost.set(tokens.subarray(start * L, (start + n) * L));
      this.backend.write(this.model.targets, this.tokHost);
      this.backend.write(this.model.x, writeArInput(this.xHost, this.tokHost, B, L, V));
      this.program.run();
      const ce = await this.backend.read(this.model.ce);
      for (let s = 0; s < n; s++) {
        let sum = 0;
        for (let i = 0; i < L; i++) sum += ce[s * L + i];
        out[start + s] = sum / L;
      }
    }
    return out;
  }

  release(): void {
    this.model.release();
  }
}
