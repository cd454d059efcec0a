/**
 * `flm bundle <checkpoint> <out.safetensors> [--dtype f16|bf16|f32]`: a model
 * as the studio bundles and shares it: only the sampling weights (the EMA
 * where the checkpoint has one) under the official key names, stored as
 * float16 (default), bfloat16 or float32, with the config, tokenizer, kind,
 * training settings and loss history of the checkpoint. No Adam moments: a
 * bundled model samples, distils and evaluates, and fine-tuning from it
 * starts fresh moments. Every reader widens the weights to float32.
 */
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type WeightDtype } from '../io/checkpoint.ts';
import { paramLayout } from '../model/layout.ts';
import { RefusedError, refuseOutputIsInput } from './files.ts';
import { loadModelFile, writeModelFile } from './modelFile.ts';

export interface BundleSummary {
  in: string;
  out: string;
  kind: string;
  step: number;
  params: number;
  /** Which weights were kept: the EMA, or the raw weights of a checkpoint without one. */
  weights: 'ema' | 'params';
  dtype: WeightDtype;
  bytes: number;
  /** Largest |stored − original| over all weights, and the largest |original|. */
  max_abs_err: number;
  max_abs: number;
}

export function bundleCommand(input: string, output: string, dtype: WeightDtype): BundleSummary {
  refuseOutputIsInput('bundle', input, output);
  const c = loadModelFile(input).checkpoint;
  const weights = c.ema ?? c.params;
  let bytes: Uint8Array;
  try {
    bytes = encodeCheckpoint({ config: c.config, meta: c.meta, params: weights }, dtype);
  } catch (e) {
    if (e instanceof CheckpointError) throw new RefusedError(`${input}: ${e.message}`);
    throw e;
  }
  // Read it back as every loader will, and say how far the stored weights are from the originals.
  const stored = decodeCheckpoint(bytes).params;
  let err = 0, max = 0;
  for (let i = 0; i < weights.length; i++) {
    err = Math.max(err, Math.abs(stored[i] - weights[i]));
    max = Math.max(max, Math.abs(weights[i]));
  }
  writeModelFile(output, bytes);
  return {
    in: input, out: output, kind: c.meta.kind, step: c.meta.step, params: paramLayout(c.config).count,
    weights: c.ema ? 'ema' : 'params', dtype, bytes: bytes.length, max_abs_err: err, max_abs: max,
  };
}
