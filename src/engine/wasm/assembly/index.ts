/**
 * The FLM Studio CPU kernels, compiled to WebAssembly with 128-bit SIMD
 * (docs/engine.md, "The wasm backend"). Every kernel takes
 * byte addresses into the imported memory and a unit range [lo, hi): a fixed
 * partition of its work whose results do not depend on how the units are
 * split, so a later worker pool gives the same bits as one thread.
 * Nothing here allocates: scratch space is passed in by the host.
 */
export { matmul, matmulScratchBytes, matmulUnits, sumRows } from './matmul';
export {
  silu, siluBackward, gelu, geluBackward, timeEmbedding, axpby, fill, lincomb3, flmNoising, ema,
  globalNormSqPartials, globalNormSqFinish, adamw, NORM_CHUNK,
} from './elementwise';
export { philoxWords, gaussian, dropout } from './random';
export {
  softmax, logSoftmax, crossEntropy, crossEntropyBackward, weightedLoss,
  distillStage1Loss, distillStage1Backward, distillStage2Loss, distillStage2Backward,
} from './rows';
export { lnModulate, lnModulateBackwardRows, lnModulateBackwardCols, LN_COLS, gateResidual, gateResidualBackward } from './norm';
export { attention, attentionBackward, attentionScratchBytes, rope, ropeBackward } from './attention';

/** First byte after the module's static data: the host's allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
