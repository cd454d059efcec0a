/**
 * A checkpoint's weights on a backend: the one place that decides which
 * weights a model runs with (the EMA when there is one, as the official
 * sampler does) and the one fingerprint that recognises them.
 */
import type { Backend, Tensor } from '../engine/backend.ts';

/** What a checkpoint holds of a model's weights (flat, laid out by paramLayout). */
export interface Weights {
  params: Float32Array;
  ema?: Float32Array;
}

/** The weights a model samples, scores or teaches with: the EMA when the checkpoint has one, else the raw weights. */
export function modelWeights(w: Weights): Float32Array {
  return w.ema ?? w.params;
}

/**
 * Upload a checkpoint's model weights to `backend`: into `into` (a model's own
 * parameter tensor) or into a new tensor named `label`.
 */
export function uploadWeights(backend: Backend, w: Weights, into?: Tensor, label = 'weights'): Tensor {
  const data = modelWeights(w);
  const t = into ?? backend.tensor(data.length, label);
  if (t.size !== data.length) throw new RangeError(`uploadWeights: the tensor holds ${t.size} floats, the weights ${data.length}`);
  backend.write(t, data);
  return t;
}

/**
 * A short fingerprint of a checkpoint's model weights (FNV-1a over the float
 * bits, with the length): distilled models record their teachers' by it, and
 * the evaluation keys its sample cache by it.
 */
export function weightsFingerprint(w: Weights): string {
  const v = modelWeights(w);
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193) >>> 0;
  return `${v.length}:${h.toString(16).padStart(8, '0')}`;
}
