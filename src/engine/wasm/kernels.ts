/**
 * The compiled kernels (assembly/*.ts, built into kernelsWasm.ts) as a typed
 * object. Pointers are byte addresses in the module's memory; every kernel
 * takes a unit range [lo, hi) last (see assembly/index.ts).
 */
import { KERNELS_WASM_BASE64, KERNELS_WASM_SHARED_BASE64 } from './kernelsWasm.ts';

type Ptr = number;

export interface Kernels {
  heapBase(): number;
  matmulScratchBytes(): number;
  matmulUnits(M: number, N: number): number;
  matmul(out: Ptr, a: Ptr, b: Ptr, bias: Ptr, M: number, N: number, K: number, flags: number, scratch: Ptr, lo: number, hi: number): void;
  sumRows(out: Ptr, x: Ptr, rows: number, cols: number, accumulate: number, lo: number, hi: number): void;
  silu(out: Ptr, x: Ptr, lo: number, hi: number): void;
  siluBackward(dx: Ptr, x: Ptr, dy: Ptr, accumulate: number, lo: number, hi: number): void;
  gelu(out: Ptr, x: Ptr, approx: number, n: number, lo: number, hi: number): void;
  geluBackward(dx: Ptr, x: Ptr, dy: Ptr, approx: number, accumulate: number, n: number, lo: number, hi: number): void;
  timeEmbedding(out: Ptr, t: Ptr, dim: number, lo: number, hi: number): void;
  axpby(out: Ptr, a: number, x: Ptr, b: number, y: Ptr, lo: number, hi: number): void;
  fill(out: Ptr, value: number, lo: number, hi: number): void;
  lincomb3(out: Ptr, x: Ptr, y: Ptr, z: Ptr, c: Ptr, perBatch: number, lo: number, hi: number): void;
  flmNoising(x: Ptr, eps: Ptr, targets: Ptr, gamma: Ptr, length: number, vocab: number, lo: number, hi: number): void;
  ema(e: Ptr, p: Ptr, decay: number, lo: number, hi: number): void;
  globalNormSqPartials(partials: Ptr, x: Ptr, n: number, lo: number, hi: number): void;
  globalNormSqFinish(out: Ptr, partials: Ptr, chunks: number): void;
  adamw(params: Ptr, grads: Ptr, m: Ptr, v: Ptr, normSq: Ptr, decay: number, stepSize: number, bc2Sqrt: number,
    beta1: number, beta2: number, eps: number, maxGradNorm: number, lo: number, hi: number): void;
  philoxWords(out: Ptr, n: number, counter: number, k0: number, k1: number, lo: number, hi: number): void;
  gaussian(out: Ptr, n: number, counter: number, k0: number, k1: number, lo: number, hi: number): void;
  dropout(out: Ptr, x: Ptr, n: number, threshold: number, scale: number, counter: number, k0: number, k1: number, lo: number, hi: number): void;
  softmax(out: Ptr, x: Ptr, cols: number, lo: number, hi: number): void;
  logSoftmax(out: Ptr, x: Ptr, cols: number, lo: number, hi: number): void;
  crossEntropy(ce: Ptr, logits: Ptr, targets: Ptr, cols: number, lo: number, hi: number): void;
  crossEntropyBackward(dlogits: Ptr, logits: Ptr, targets: Ptr, dce: Ptr, cols: number, lo: number, hi: number): void;
  weightedLoss(perToken: Ptr, loss: Ptr, dce: Ptr, dw: Ptr, ce: Ptr, w: Ptr, hasW: number, hasDw: number, batch: number, length: number): void;
  distillStage1Loss(raw: Ptr, g: Ptr, tgt: Ptr, c: Ptr, cols: number, length: number, lo: number, hi: number): void;
  distillStage1Backward(dg: Ptr, g: Ptr, tgt: Ptr, c: Ptr, dce: Ptr, cols: number, length: number, lo: number, hi: number): void;
  distillStage2Loss(raw: Ptr, q: Ptr, logits: Ptr, F: Ptr, xs: Ptr, a: Ptr, cols: number, length: number, lo: number, hi: number): void;
  distillStage2Backward(dlogits: Ptr, q: Ptr, F: Ptr, xs: Ptr, a: Ptr, dce: Ptr, cols: number, length: number, lo: number, hi: number): void;
  lnModulate(out: Ptr, mean: Ptr, rstd: Ptr, x: Ptr, w: Ptr, mod: Ptr, D: number, rowsPerItem: number, modStride: number,
    shiftOff: number, scaleOff: number, eps: number, lo: number, hi: number): void;
  lnModulateBackwardRows(dx: Ptr, dout: Ptr, x: Ptr, mean: Ptr, rstd: Ptr, w: Ptr, mod: Ptr, D: number, rowsPerItem: number,
    modStride: number, scaleOff: number, lo: number, hi: number): void;
  lnModulateBackwardCols(dw: Ptr, dmod: Ptr, dout: Ptr, x: Ptr, mean: Ptr, rstd: Ptr, w: Ptr, mod: Ptr, rows: number, D: number,
    rowsPerItem: number, modStride: number, shiftOff: number, scaleOff: number, scratch: Ptr, lo: number, hi: number): void;
  gateResidual(h: Ptr, y: Ptr, mod: Ptr, D: number, rowsPerItem: number, modStride: number, gateOff: number, lo: number, hi: number): void;
  gateResidualBackward(dy: Ptr, dmod: Ptr, dh: Ptr, y: Ptr, mod: Ptr, rows: number, D: number, rowsPerItem: number, modStride: number,
    gateOff: number, scratch: Ptr, lo: number, hi: number): void;
  attentionScratchBytes(L: number, d: number): number;
  attention(o: Ptr, att: Ptr, q: Ptr, k: Ptr, v: Ptr, B: number, L: number, H: number, d: number, softcap: number, causal: number,
    scratch: Ptr, lo: number, hi: number): void;
  attentionBackward(dq: Ptr, dk: Ptr, dv: Ptr, dR: Ptr, dout: Ptr, att: Ptr, q: Ptr, k: Ptr, v: Ptr, o: Ptr,
    B: number, L: number, H: number, d: number, softcap: number, causal: number, scratch: Ptr, lo: number, hi: number): void;
  rope(q: Ptr, k: Ptr, v: Ptr, qkv: Ptr, cosT: Ptr, sinT: Ptr, L: number, H: number, d: number, lo: number, hi: number): void;
  ropeBackward(dqkv: Ptr, dq: Ptr, dk: Ptr, dv: Ptr, cosT: Ptr, sinT: Ptr, L: number, H: number, d: number, lo: number, hi: number): void;
}

/** Exported constants of the module (elements per norm partial, columns per LayerNorm-backward unit). */
export interface KernelConstants {
  NORM_CHUNK: number;
  LN_COLS: number;
}

export type KernelName = keyof Kernels;

/** Every export, in a fixed order (the worker pool names kernels by their index here). */
export const FUNCTIONS: KernelName[] = [
  'heapBase', 'matmulScratchBytes', 'matmulUnits', 'matmul', 'sumRows', 'silu', 'siluBackward', 'gelu', 'geluBackward',
  'timeEmbedding', 'axpby', 'fill', 'lincomb3', 'flmNoising', 'ema', 'globalNormSqPartials', 'globalNormSqFinish', 'adamw',
  'philoxWords', 'gaussian', 'dropout', 'softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyBackward', 'weightedLoss',
  'distillStage1Loss', 'distillStage1Backward', 'distillStage2Loss', 'distillStage2Backward', 'lnModulate',
  'lnModulateBackwardRows', 'lnModulateBackwardCols', 'gateResidual', 'gateResidualBackward', 'attentionScratchBytes',
  'attention', 'attentionBackward', 'rope', 'ropeBackward',
];

const compiled: Partial<Record<'plain' | 'shared', Promise<WebAssembly.Module>>> = {};

/** The compiled module for an ordinary or a shared memory (compiled once per realm). */
export function kernelsModule(shared = false): Promise<WebAssembly.Module> {
  const key = shared ? 'shared' : 'plain';
  compiled[key] ??= WebAssembly.compile(decodeBase64(shared ? KERNELS_WASM_SHARED_BASE64 : KERNELS_WASM_BASE64));
  return compiled[key];
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Instantiate the kernels over `memory`; checks that every expected export is there (the edge where the module is parsed). */
export async function instantiateKernels(memory: WebAssembly.Memory, shared = false): Promise<{ kernels: Kernels; constants: KernelConstants }> {
  const instance = await WebAssembly.instantiate(await kernelsModule(shared), { env: { memory } });
  const ex = instance.exports;
  const kernels: Partial<Record<keyof Kernels, unknown>> = {};
  for (const name of FUNCTIONS) {
    const fn = ex[name];
    if (typeof fn !== 'function') throw new Error(`wasm kernels: export ${name} missing`);
    kernels[name] = fn;
  }
  const constant = (name: keyof KernelConstants): number => {
    const g = ex[name];
    if (!(g instanceof WebAssembly.Global)) throw new Error(`wasm kernels: constant ${name} missing`);
    return Number(g.value);
  };
  return { kernels: kernels as Kernels, constants: { NORM_CHUNK: constant('NORM_CHUNK'), LN_COLS: constant('LN_COLS') } };
}
