/**
 * What a run tells whoever watches it (the studio's UI through the training
 * worker, the CLI's progress line): one discriminated union, every event
 * tagged with the id of the run it belongs to, one error event.
 */
import type { CheckpointInfo } from '../io/checkpointStore.ts';
import type { LossPoint, ModelKind } from '../io/meta.ts';
import type { FrameSummary } from '../sampling/frames.ts';

/** Why a run stopped with an error: its device kept failing, or anything else. */
export type RunErrorCode = 'device-lost' | 'failed';

export type RunEvent =
  /** `kind`: what the run trains (an FLM, a stage-1 flow map, a stage-2 FMLM or a judge). */
  | { type: 'started'; runId: string; checkpointId: string; name: string; kind: ModelKind; step: number; steps: number; params: number; vocab: number;
      memoryBytes: number; backend: string; unigramEntropy: number; history: LossPoint[] }
  | { type: 'step'; runId: string; step: number; steps: number; loss: number; tokensPerS: number; etaS: number; valCe?: number }
  /**
   * A preview sample with the summaries of its frames (top-5 candidates per
   * position…) and, once per run, the tokens' display strings.
   */
  | { type: 'sample'; runId: string; step: number; text: string; frames: FrameSummary[]; pieces?: string[] }
  | { type: 'checkpoint'; runId: string; info: CheckpointInfo }
  | { type: 'paused'; runId: string; step: number }
  /** A NaN/Inf loss stopped the run; the last stored checkpoint (at `step`) is where Resume continues. */
  | { type: 'rolled-back'; runId: string; step: number; message: string }
  /** The device was lost; a 'started' event follows when training continues from the checkpoint at `step`. */
  | { type: 'recovering'; runId: string; step: number; message: string }
  | { type: 'done'; runId: string; step: number }
  | { type: 'error'; runId: string; code: RunErrorCode; message: string };
