/// <reference lib="webworker" />
/**
 * ONNX export in the studio ("Export ONNX" on a stored checkpoint): a
 * checkpoint's bytes in, the ONNX model's bytes out — the same export as
 * `flm export-onnx` (src/io/onnx/, docs/onnx.md), with the time map's γ(t)
 * table in its metadata. Off the UI thread: the γ table and the protobuf
 * encoding take a moment for large models.
 */
import * as Comlink from 'comlink';
import { TimeMap } from '../src/flm/timeMap.ts';
import { decodeCheckpoint } from '../src/io/checkpoint.ts';
import { exportOnnx, ONNX_META, timeMapMetadata } from '../src/io/onnx/index.ts';
import { exposeApi } from './expose.ts';

export interface OnnxApi {
  /** The ONNX model of a checkpoint (its sampling weights; float16 with `f16`). */
  exportOnnx(checkpoint: ArrayBuffer, opts?: { f16?: boolean }): Promise<ArrayBuffer>;
}

const api: OnnxApi = {
  async exportOnnx(checkpoint, opts = {}) {
    const ckpt = decodeCheckpoint(new Uint8Array(checkpoint));
    const map = new TimeMap(ckpt.config.vocab);
    const { bytes } = exportOnnx(ckpt, {
      f16: opts.f16, metadata: { [ONNX_META.timeMap]: timeMapMetadata(ckpt.config.vocab, (t) => map.gamma(t)) },
    });
    const out = bytes.slice().buffer;
    return Comlink.transfer(out, [out]);
  },
};

exposeApi(api);
