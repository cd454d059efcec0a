/**
 * Sampling with onnxruntime (`flm sample --runtime onnx`): the network's
 * logits come from an exported ONNX model run by onnxruntime-node, an
 * independent runtime; everything else is the studio's own samplers on the
 * CPU reference backend — the noise z_0, softmax, the Euler / flow-map
 * update, the two-network combination, frames and decoding — through the
 * samplers' logits seam (src/flm/network.ts, src/sampling/onnxLogits.ts), as
 * in the studio's Sample view with onnxruntime-web. A sample differs from
 * the studio's only through the logits.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { DiTConfig } from '../model/config.ts';
import { OnnxModel } from '../sampling/onnxLogits.ts';

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | null = null;

/** onnxruntime-node, loaded on first use (a devDependency: only this option needs it). */
export function loadOnnxRuntime(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((e: unknown) => {
    ortModule = null;
    throw new Error(`--runtime onnx needs onnxruntime-node (npm install): ${(e as Error).message}`);
  });
  return ortModule;
}

/** An exported DiT of `config` in an onnxruntime-node session; refused when its inputs are not the DiT's. */
export async function openOnnxModel(bytes: Uint8Array, config: DiTConfig, options: InferenceSession.SessionOptions = {}): Promise<OnnxModel> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(bytes, options);
  try {
    return new OnnxModel(ort, session, config);
  } catch (e) {
    await session.release();
    throw e;
  }
}
