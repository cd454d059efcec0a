/** One TypeScript wrapper per WGSL kernel (see shaders/). */
export { matmul, sumRows } from './matmul.ts';
export { silu, siluBackward } from './silu.ts';
export { gelu, geluBackward } from './gelu.ts';
export { timeEmbedding } from './timeEmbedding.ts';
export { lnModulate, lnModulateBackward } from './lnModulate.ts';
export { gateResidual, gateResidualBackward } from './gateResidual.ts';
export { rope, ropeBackward } from './rope.ts';
export { attention, attentionBackward } from './attention.ts';
export { softmax, logSoftmax } from './softmax.ts';
export { crossEntropy, crossEntropyBackward } from './crossEntropy.ts';
export { weightedLoss } from './weightedLoss.ts';
export { gaussian } from './noise.ts';
export { axpby, fill } from './elementwise.ts';
export { flmNoising } from './flmNoising.ts';
export { globalNormSq, gradNormScratchSize } from './gradNorm.ts';
export { adamw } from './adamw.ts';
export { ema } from './ema.ts';
export { dropout } from './dropout.ts';
