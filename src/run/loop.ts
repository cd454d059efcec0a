/**
 * A training run: steps to a target with validation, periodic snapshots
 * (to an injected checkpoint sink), preview samples, pause, and the two
 * faults a long run meets — a non-finite loss, or a snapshot refused because
 * a step left non-finite weights behind a finite loss (either way the run
 * stops and rolls back to its last good checkpoint), and a lost device (a
 * fresh device, the last checkpoint, and on; MAX_RECOVERIES times at most).
 * Every event carries the run's id. No worker, DOM or Node API: the studio's
 * training worker and the CLI drive the same loop, and tests drive it on the
 * CPU backend.
 */
import type { Backend } from '../engine/backend.ts';
import { tokenPieces, type TextTokenizer } from '../data/tokenizer.ts';
import { CheckpointError, type Checkpoint } from '../io/checkpoint.ts';
import type { CheckpointInfo } from '../io/checkpointStore.ts';
import { summarizeFrame, type FrameSummary } from '../sampling/frames.ts';
import { trainingMemoryBytes } from '../train/presets.ts';
import type { RunErrorCode, RunEvent } from './events.ts';
import type { Preview, SnapshotMeta, Trainer } from './trainer.ts';

/** How many lost devices one run recovers from before it gives up. */
export const MAX_RECOVERIES = 3;

/** Candidates per position in preview frames. */
export const PREVIEW_K = 5;

/** Where a run's snapshots go: IndexedDB in the studio, a file in the CLI, memory in tests. */
export interface CheckpointSink {
  /** Store a snapshot, replacing the run's previous one; what the 'checkpoint' event reports. */
  save(ckpt: Checkpoint): Promise<CheckpointInfo>;
  /** The last stored snapshot (null when none is): where a recovered run continues. */
  load(): Promise<Checkpoint | null>;
}

/** Recovery from a lost device; without it a lost device is an error like any other. */
export interface DeviceRecovery {
  /** The device-loss error that `e` (thrown by a step, a read or a save on `backend`) stands for, or null. */
  lost(backend: Backend, e: unknown): Promise<Error | null>;
  /** A backend on a fresh device. */
  renew(): Promise<Backend>;
  /** The run's trainer on `backend`, continued from `ckpt` (null: from the start). */
  rebuild(backend: Backend, ckpt: Checkpoint | null): Trainer;
}

export interface RunOptions {
  runId: string;
  /** The run's name and the id its checkpoints are stored under (the 'started' event). */
  name: string;
  checkpointId: string;
  /** The step to reach. */
  target: number;
  /** A snapshot every N steps (0: only at the target and on pause). */
  saveEvery: number;
  /** A preview sample every N steps and at the target (0: none). */
  sampleEvery: number;
  /** Validate at the target too, not only every `train.evalEvery` steps. */
  validateAtEnd?: boolean;
  /** What every snapshot records besides the trainer's state (name, date, tokenizer, data, run settings). */
  meta(): SnapshotMeta;
  sink: CheckpointSink;
  /** Decodes previews; its display strings go with the first one. */
  tokenizer: TextTokenizer;
  /** For the 'started' event. */
  unigramEntropy: number;
  /** Said after the backend's description (an emulated adapter, a fallback). */
  backendNote?: string;
  /** Whether the run's checkpoint is already stored (a resume): a rollback then has somewhere to go. */
  resumed?: boolean;
  recovery?: DeviceRecovery;
  /** Awaited after every step, so that a worker sees a pause sent meanwhile (the CPU backend never yields otherwise). */
  yieldEachStep?: () => Promise<void>;
  emit(e: RunEvent): void;
  /** Called once when `start` has settled, whatever the outcome (the studio lets go of its claim on the checkpoint). */
  settled?(): void;
}

export type RunOutcome =
  | { type: 'done'; step: number }
  | { type: 'paused'; step: number }
  /**
   * The run stopped at step `at` and the trainer was released; `step` is the
   * last stored checkpoint's. `cause` 'loss': the loss (or the gradient norm)
   * was non-finite, the update skipped. 'weights': the loss was finite but the
   * snapshot held a non-finite value, so it was not stored (`loss` and
   * `gradNorm` are then step `at`'s). `message` says it in words.
   */
  | { type: 'rolled-back'; step: number; at: number; loss: number; gradNorm: number; cause: 'loss' | 'weights'; message: string }
  | { type: 'failed'; code: RunErrorCode; message: string; error: unknown };

export class Run {
  /** Lost devices recovered from so far. */
  recoveries = 0;
  private pauseRequested = false;
  /** Step of the last stored checkpoint, null when none is stored. */
  private savedStep: number | null;
  private preview: { sampler: Preview | null } | null = null;
  /** The last step's loss and gradient norm (for a refused snapshot's report). */
  private last = { loss: NaN, gradNorm: NaN };
  private piecesSent = false;
  private released = false;

  constructor(public trainer: Trainer, readonly options: RunOptions) {
    this.savedStep = options.resumed ? trainer.step : null;
  }

  get runId(): string {
    return this.options.runId;
  }

  /** Whether the trainer still holds its buffers (not rolled back, not released). */
  get alive(): boolean {
    return !this.released;
  }

  /** Stop after the current step (saving a snapshot): the run ends with 'paused'. */
  pause(): void {
    this.pauseRequested = true;
  }

  /**
   * Train to the target. 'started' is emitted before the first await; with
   * `saveFirst`, the untrained state is stored first (a new run's rollback point).
   */
  async start(opts: { saveFirst?: boolean } = {}): Promise<RunOutcome> {
    try {
      return await this.run(opts.saveFirst ?? false);
    } finally {
      this.options.settled?.();
    }
  }

  private async run(saveFirst: boolean): Promise<RunOutcome> {
    this.emitStarted();
    for (;;) {
      try {
        if (saveFirst) await this.save();
        saveFirst = false;
        return await this.loop();
      } catch (e) {
        if (e instanceof RefusedSnapshot) return this.rollBackWeights(e.error);
        const failed = await this.recover(e);
        if (failed) return failed;
      }
    }
  }

  /** Give the trainer's and the preview sampler's device buffers back (once). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.preview?.sampler?.sampler.release();
    this.preview = null;
    this.trainer.release();
  }

  private emit(e: RunEvent): void {
    this.options.emit(e);
  }

  private emitStarted(): void {
    const t = this.trainer, o = this.options;
    this.emit({
      type: 'started', runId: o.runId, checkpointId: o.checkpointId, name: o.name, kind: t.kind, step: t.step, steps: o.target,
      params: t.parameterCount, vocab: t.config.vocab, memoryBytes: trainingMemoryBytes(t.config, t.train.batch),
      backend: t.backend.description + (o.backendNote ?? ''), unigramEntropy: o.unigramEntropy, history: t.lossHistory,
    });
  }

  private async loop(): Promise<RunOutcome> {
    const t = this.trainer, o = this.options, runId = o.runId;
    const t0 = performance.now(), startStep = t.step, tokensPerStep = t.train.batch * t.config.length;
    while (t.step < o.target) {
      const r = await t.trainStep();
      if (r.nonFinite) return this.rollBack(r.step, r.loss, r.gradNorm);
      this.last = { loss: r.loss, gradNorm: r.gradNorm };
      const atTarget = t.step === o.target, evalEvery = t.train.evalEvery;
      const valCe = (evalEvery > 0 && t.step % evalEvery === 0) || (atTarget && o.validateAtEnd) ? await t.validate() : undefined;
      const elapsed = (performance.now() - t0) / 1000, done = t.step - startStep;
      this.emit({
        type: 'step', runId, step: t.step, steps: o.target, loss: r.loss, ...(valCe !== undefined ? { valCe } : {}),
        tokensPerS: (done * tokensPerStep) / elapsed, etaS: (elapsed / done) * (o.target - t.step),
      });
      if (o.sampleEvery > 0 && (t.step % o.sampleEvery === 0 || atTarget)) await this.sample();
      const saved = (o.saveEvery > 0 && t.step % o.saveEvery === 0) || atTarget;
      if (saved) await this.save();
      await o.yieldEachStep?.();
      if (this.pauseRequested) {
        this.pauseRequested = false;
        if (!saved) await this.save();
        this.emit({ type: 'paused', runId, step: t.step });
        return { type: 'paused', step: t.step };
      }
    }
    this.emit({ type: 'done', runId, step: t.step });
    return { type: 'done', step: t.step };
  }

  /** Store a snapshot; one the format refuses as non-finite is thrown as RefusedSnapshot (the sink wrote nothing). */
  private async save(): Promise<void> {
    const snapshot = await this.trainer.snapshot(this.options.meta());
    let info: CheckpointInfo;
    try {
      info = await this.options.sink.save(snapshot);
    } catch (e) {
      throw e instanceof CheckpointError && e.code === 'non-finite' ? new RefusedSnapshot(e) : e;
    }
    this.savedStep = this.trainer.step;
    this.emit({ type: 'checkpoint', runId: this.runId, info });
  }

  /** A preview with the EMA weights (the trainer's sampler and step count; seeded by the step). */
  private async sample(): Promise<void> {
    const t = this.trainer;
    this.preview ??= { sampler: t.previewSampler() };
    const p = this.preview.sampler;
    if (!p) return;
    const frames: FrameSummary[] = [];
    const { length, vocab } = t.config;
    const { tokens } = await p.sampler.sample(p.steps, t.step, (f) => { frames.push(summarizeFrame(f, length, vocab, PREVIEW_K)); });
    const pieces = this.piecesSent ? undefined : tokenPieces(this.options.tokenizer, vocab);
    this.piecesSent = true;
    this.emit({ type: 'sample', runId: this.runId, step: t.step, text: this.options.tokenizer.decode(tokens), frames, ...(pieces ? { pieces } : {}) });
  }

  /**
   * A NaN or ±Inf loss: the update was skipped, the run stops and its
   * trainer is released, so that the next resume starts again from the last
   * stored checkpoint (whose weights are finite: it was saved before the bad step).
   */
  private rollBack(at: number, loss: number, gradNorm: number): RunOutcome {
    const step = this.savedStep ?? 0;
    return this.stopAndRollBack({
      type: 'rolled-back', step, at, loss, gradNorm, cause: 'loss',
      message: `The loss became ${loss} at step ${at}. Training paused and rolled back to the last checkpoint (step ${step}); `
        + 'Resume continues from there. If it happens again at the same step, lower the learning rate.',
    });
  }

  /**
   * A snapshot refused because the weights (or EMA, or Adam moments) hold a
   * non-finite value although the step's loss was finite (an update that
   * overflowed): nothing was stored, so the last stored checkpoint is intact;
   * the run stops there as after a non-finite loss.
   */
  private rollBackWeights(error: CheckpointError): RunOutcome {
    const step = this.savedStep ?? 0, at = this.trainer.step, { loss, gradNorm } = this.last;
    // The format's reason without its own framing: "weights tensor X holds Infinity".
    const what = /^Not saved: ([^;]*)/.exec(error.message)?.[1] ?? error.message;
    return this.stopAndRollBack({
      type: 'rolled-back', step, at, loss, gradNorm, cause: 'weights',
      message: `The weights became non-finite at step ${at}${Number.isFinite(loss) ? ` (its loss, ${loss.toFixed(4)}, was finite)` : ''}, `
        + `so its checkpoint was not saved (${what}). Training paused and rolled back to the last checkpoint (step ${step}), which is kept; `
        + 'Resume continues from there. If it happens again, lower the learning rate.',
    });
  }

  private stopAndRollBack(outcome: Extract<RunOutcome, { type: 'rolled-back' }>): RunOutcome {
    this.release();
    this.emit({ type: 'rolled-back', runId: this.runId, step: outcome.step, message: outcome.message });
    return outcome;
  }

  /**
   * After a failure: on a lost device (while recoveries are left) a new
   * trainer on a fresh device from the last stored checkpoint, and undefined
   * (go on); otherwise the error event and the failed outcome.
   */
  private async recover(e: unknown): Promise<RunOutcome | undefined> {
    const message = e instanceof Error ? e.message : String(e);
    const rec = this.options.recovery;
    const lost = rec ? await rec.lost(this.trainer.backend, e) : null;
    if (!rec || !lost) return this.fail('failed', message, e);
    const step = this.savedStep ?? 0;
    if (this.recoveries >= MAX_RECOVERIES) {
      return this.fail('device-lost', `The GPU device was lost ${this.recoveries + 1} times in this run, so training stopped; `
        + `Resume continues from the last checkpoint (step ${step}). ${lost.message}`, lost);
    }
    this.recoveries++;
    this.emit({
      type: 'recovering', runId: this.runId, step,
      message: `${lost.message.replace(/\.+$/, '')}. Recovered automatically: a new device was created and training continued from the checkpoint at step ${step}.`,
    });
    // The old buffers died with the device: drop them without touching it.
    this.preview = null;
    try {
      const backend = await rec.renew();
      this.trainer = rec.rebuild(backend, await this.options.sink.load());
    } catch (err) {
      return this.fail('device-lost', `The GPU device was lost and recovery failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    this.piecesSent = false;
    this.emitStarted();
    return undefined;
  }

  private fail(code: RunErrorCode, message: string, error: unknown): RunOutcome {
    this.emit({ type: 'error', runId: this.runId, code, message });
    return { type: 'failed', code, message, error };
  }
}

/**
 * One run at a time (a worker's): claimed synchronously, so that two starts
 * never overlap and a pause sent while a run is being set up is kept; the
 * previous run's buffers are released when the next one is adopted.
 */
export class RunSlot {
  private busy = false;
  private pauseRequested = false;
  /** The run whose buffers are held (its trainer is the one faults are injected into). */
  live: Run | null = null;

  /**
   * Set a run up with `prepare` and start it in the background (the promise
   * settles once it started: set-up errors reject it, later ones are events).
   */
  async launch(prepare: () => Promise<Run>, opts: { saveFirst?: boolean } = {}): Promise<void> {
    if (this.busy) throw new RunBusyError();
    this.busy = true;
    this.pauseRequested = false;
    let run: Run;
    try {
      run = await prepare();
    } catch (e) {
      this.busy = false;
      throw e;
    }
    if (this.live !== run) this.live?.release();
    this.live = run;
    if (this.pauseRequested) run.pause();
    void run.start(opts).finally(() => { this.busy = false; });
  }

  pause(): void {
    this.pauseRequested = true;
    this.live?.pause();
  }
}

/** A snapshot the checkpoint format refused as non-finite (inside Run only: it becomes a roll-back). */
class RefusedSnapshot extends Error {
  constructor(readonly error: CheckpointError) {
    super(error.message);
  }
}

export class RunBusyError extends Error {
  readonly code = 'busy';
  constructor() {
    super('a training run is already going in this tab');
    this.name = 'RunBusyError';
  }
}
