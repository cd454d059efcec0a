/**
 * The backend contract every part of the core is written against.
 *
 * Three implementations exist: the plain TypeScript reference backend
 * (`cpu/cpuBackend.ts`, the oracle), WebAssembly SIMD (`wasm/wasmBackend.ts`)
 * and WebGPU (`webgpu/gpuBackend.ts`). The model, the FLM math and the
 * trainer call `backend.ops.*` and never know which one runs. Each backend
 * writes its kernels against its own tensor type and gets `ops` from the one
 * generic adapter (`adapter.ts`).
 *
 * Execution model: on the CPU backend an op runs when called. On WebGPU an
 * op called inside `compile(fn)` is recorded once (pipelines, bind groups and
 * uniform buffers created then) and `program.run()` replays the recorded
 * dispatches in a single command buffer, with no allocation; an op called
 * outside `compile` is encoded and submitted at once (convenient for tests and
 * one-off work, not for hot loops).
 */

export type DType = 'f32' | 'u32';

/** The backends: the TypeScript reference ('cpu', the oracle), WebAssembly SIMD ('wasm') and WebGPU. */
export type BackendName = 'cpu' | 'wasm' | 'webgpu';

/**
 * A scalar argument that may change between runs of a compiled program:
 * a number, or a function read at every run (e.g. the learning rate of the
 * current step). The CPU backend reads it when the op runs; the WebGPU
 * backend re-uploads the kernel's uniforms before each run.
 */
export type Scalar = number | (() => number);

export function scalar(s: Scalar): number {
  return typeof s === 'function' ? s() : s;
}

export interface Tensor {
  readonly size: number;
  readonly dtype: DType;
  readonly label: string;
}

export interface Program {
  /** Execute the recorded work (CPU: run the closure again; GPU: submit). */
  run(): void;
}

export interface MatmulParams {
  /** Rows of the output. */
  M: number;
  /** Columns of the output. */
  N: number;
  /** Shared (reduction) dimension. */
  K: number;
  /** A is stored [K, M] instead of [M, K]. */
  transA?: boolean;
  /** B is stored [N, K] instead of [K, N]. */
  transB?: boolean;
  /** out += result instead of out = result. */
  accumulate?: boolean;
}

/**
 * Rows of a [R, D] activation belong to batch item floor(row / rowsPerItem);
 * per-item vectors (shift, scale, gate) are read from a modulation tensor
 * `mod` of shape [B, modStride] at column offset `*Offset`.
 */
export interface ModulationParams {
  rows: number;
  dim: number;
  rowsPerItem: number;
  modStride: number;
}

export interface LnModulateParams extends ModulationParams {
  shiftOffset: number;
  scaleOffset: number;
  eps: number;
}

export interface GateParams extends ModulationParams {
  gateOffset: number;
}

export interface AttentionParams {
  batch: number;
  length: number;
  heads: number;
  headDim: number;
  /** softcap c: scores become c·tanh(scores/c); 0 disables it. */
  softcap: number;
  /** Causal mask: query i attends to keys j ≤ i only (autoregressive models). Default false. */
  causal?: boolean;
}

export type GeluApprox = 'tanh' | 'erf';

/** AdamW hyper-parameters of one step (lr and step may change per step without re-recording). */
export interface AdamWParams {
  lr: Scalar;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number for the bias corrections. */
  step: Scalar;
  /** Clip the global gradient norm to this value (0: no clipping). */
  maxGradNorm: number;
}

/**
 * The tensors of the ops that take more than four, by name (so that a call
 * reads `attention({ o, att, q, k, v }, p)` and cannot swap two of them).
 * `T` is the tensor type: `Tensor` in the contract, a backend's own type
 * (a typed array, a memory address…) in its kernels.
 */
export interface LnModulateTensors<T = Tensor> { out: T; mean: T; rstd: T; x: T; w: T; mod: T }
export interface LnModulateBackwardTensors<T = Tensor> { dx: T; dw: T; dmod: T; dout: T; x: T; mean: T; rstd: T; w: T; mod: T }
export interface GateResidualBackwardTensors<T = Tensor> { dy: T; dmod: T; dh: T; y: T; mod: T }
export interface AttentionTensors<T = Tensor> { o: T; att: T; q: T; k: T; v: T }
export interface AttentionBackwardTensors<T = Tensor> { dq: T; dk: T; dv: T; scratch: T; dout: T; att: T; q: T; k: T; v: T; o: T }
export interface WeightedLossTensors<T = Tensor> { perToken: T; loss: T; dce: T; dw: T | null; ce: T; w: T | null }
export interface Lincomb3Tensors<T = Tensor> { out: T; x: T; y: T; z: T; c: T }
export interface DistillStage1BackwardTensors<T = Tensor> { dg: T; g: T; tgt: T; c: T; dce: T }
export interface DistillStage2LossTensors<T = Tensor> { raw: T; q: T; logits: T; F: T; xs: T; a: T }
export interface DistillStage2BackwardTensors<T = Tensor> { dlogits: T; q: T; F: T; xs: T; a: T; dce: T }
export interface AdamWTensors<T = Tensor> { params: T; grads: T; m: T; v: T; normSq: T }

/**
 * Every operation the DiT forward and backward and the FLM losses need.
 * Shapes are row-major. "(+=)" marks outputs that honour `accumulate`.
 *
 * `F` is the type of an f32 tensor argument and `U` of a u32 one: `Tensor`
 * for callers; each backend writes its kernels against its own types (the
 * reference: Float32Array and Uint32Array) and `adaptOps` (adapter.ts)
 * turns them into this contract. Ops with more than four tensors take them
 * as one named-argument object.
 */
export interface Ops<F = Tensor, U = F> {
  /** out[M,N] (+)= op(A)·op(B) (+ bias[N]). */
  matmul(out: F, a: F, b: F, p: MatmulParams, bias?: F): void;
  /** out[N] (+)= Σ_rows x[rows, N] (bias gradients). */
  sumRows(out: F, x: F, rows: number, cols: number, accumulate?: boolean): void;

  /** out = x·sigmoid(x). */
  silu(out: F, x: F, n: number): void;
  /** dx (+)= dy·silu'(x). */
  siluBackward(dx: F, x: F, dy: F, n: number, accumulate?: boolean): void;
  /** out = gelu(x), tanh approximation or exact (erf). */
  gelu(out: F, x: F, n: number, approx: GeluApprox): void;
  /** dx (+)= dy·gelu'(x). */
  geluBackward(dx: F, x: F, dy: F, n: number, approx: GeluApprox, accumulate?: boolean): void;

  /** Sinusoidal features out[B, dim] = [cos(t·ω_i), sin(t·ω_i)], ω_i = exp(−ln(maxPeriod)·i/(dim/2)). */
  timeEmbedding(out: F, t: F, batch: number, dim: number): void;

  /**
   * out = LN(x)·w·(1 + scale) + shift, LayerNorm without bias; saves the
   * per-row mean and reciprocal standard deviation for the backward pass.
   */
  lnModulate(t: LnModulateTensors<F>, p: LnModulateParams): void;
  /**
   * Backward of lnModulate: dx += (always accumulates: it is the residual
   * stream's gradient), dw = (overwrites), dmod's shift and scale columns = .
   */
  lnModulateBackward(t: LnModulateBackwardTensors<F>, p: LnModulateParams): void;

  /** h += gate·y (in place on the residual stream h). */
  gateResidual(h: F, y: F, mod: F, p: GateParams): void;
  /** dy = dh·gate; dmod's gate columns = Σ_rows-of-item dh·y. */
  gateResidualBackward(t: GateResidualBackwardTensors<F>, p: GateParams): void;

  /**
   * From qkv [B, L, 3D] (column = which·D + head·d + j) to q, k, v in
   * [B, H, L, d], applying NeoX rotary (non-interleaved halves) to q and k
   * at position l with inv_freq_i = 10000^(−2i/d).
   */
  rope(q: F, k: F, v: F, qkv: F, p: AttentionParams): void;
  /** Transpose of rope for gradients: writes (overwrites) dqkv [B, L, 3D]. */
  ropeBackward(dqkv: F, dq: F, dk: F, dv: F, p: AttentionParams): void;

  /**
   * Softcapped attention, bidirectional (or causal with `p.causal`: the
   * probabilities of keys j > i are exactly 0). att [B, H, L, L] keeps the softmax
   * probabilities for backward; o [B, L, D] has the heads concatenated.
   */
  attention(t: AttentionTensors<F>, p: AttentionParams): void;
  /** Writes (overwrites) dq, dk, dv [B, H, L, d]; scratch [B, H, L, L] is overwritten. */
  attentionBackward(t: AttentionBackwardTensors<F>, p: AttentionParams): void;

  /** Row-wise softmax over the last axis of [rows, cols]. */
  softmax(out: F, x: F, rows: number, cols: number): void;
  /** Row-wise log-softmax. */
  logSoftmax(out: F, x: F, rows: number, cols: number): void;
  /** ce[r] = logsumexp(logits[r]) − logits[r, target[r]]. */
  crossEntropy(ce: F, logits: F, targets: U, rows: number, cols: number): void;
  /** dlogits[r] = (softmax(logits[r]) − onehot(target[r]))·dce[r]. */
  crossEntropyBackward(dlogits: F, logits: F, targets: U, dce: F, rows: number, cols: number): void;

  /**
   * The mean token loss with optional per-sequence loss weighting w[B]:
   * perToken = exp(−w)·ce + w (or ce when w is null), loss[0] = mean.
   * Also writes d loss/d ce into dce and, with w, d loss/d w into dw.
   */
  weightedLoss(t: WeightedLossTensors<F>, batch: number, length: number): void;

  /**
   * Standard normal noise from a counter-based generator (Philox4x32-10 and
   * Box–Muller): element i of the stream (seed, counter) lands in out[i].
   */
  gaussian(out: F, n: number, seed: Scalar, counter: Scalar): void;

  /**
   * The FLM noising path x = (1 − γ_b)·ε + γ_b·onehot(target) over [B, L, V]
   * (spec section 1), with γ [B] and targets [B·L] (u32).
   */
  flmNoising(x: F, eps: F, targets: U, gamma: F, batch: number, length: number, vocab: number): void;

  /**
   * Dropout with a counter-based mask: out = x·mask/(1 − p). The mask depends
   * only on (seed, counter, i), so backward is the same op on the gradient.
   */
  dropout(out: F, x: F, n: number, p: number, seed: Scalar, counter: Scalar): void;

  /** out = a·x + b·y elementwise (b may be 0, y then ignored). out must not alias x or y. */
  axpby(out: F, a: Scalar, x: F, b: Scalar, y: F, n: number): void;
  /** out[i] = value. */
  fill(out: F, value: number, n: number): void;

  /**
   * Per-batch linear combination over [B, perBatch]: out = c[b,0]·x + c[b,1]·y
   * + c[b,2]·z with coefficients c [B·3]; a zero coefficient skips its input.
   * out must not alias an input. (The flow-map updates of spec sections 6–7.)
   */
  lincomb3(t: Lincomb3Tensors<F>, n: number, perBatch: number): void;
  /** Stage-1 distillation: raw[r] = Σ_v (tgt − c_b·g)² over rows of [B·L, V] (c [B]). */
  distillStage1Loss(raw: F, g: F, tgt: F, c: F, rows: number, cols: number, length: number): void;
  /** Its gradient: dg = −2·c_b·dce[r]·(tgt − c_b·g). */
  distillStage1Backward(t: DistillStage1BackwardTensors<F>, rows: number, cols: number, length: number): void;
  /** Stage-2 distillation: q = softmax(logits), raw[r] = Σ_v (F − x_s − a_b·(q − x_s))² (a [B]). */
  distillStage2Loss(t: DistillStage2LossTensors<F>, rows: number, cols: number, length: number): void;
  /** Its gradient through the softmax: dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce[r]·(F − F̂). */
  distillStage2Backward(t: DistillStage2BackwardTensors<F>, rows: number, cols: number, length: number): void;

  /** Floats of scratch `globalNormSq` needs for n elements. */
  gradNormScratchSize(n: number): number;
  /** out[0] = Σ x² (deterministic two-stage reduction). */
  globalNormSq(out: F, scratch: F, x: F, n: number): void;
  /**
   * AdamW with global-norm clipping read from normSq[0] on the device; a
   * non-finite normSq leaves params, m and v untouched.
   */
  adamw(t: AdamWTensors<F>, n: number, hp: AdamWParams): void;
  /** emaParams = decay·emaParams + (1 − decay)·params. */
  ema(emaParams: F, params: F, n: number, decay: Scalar): void;
}

export interface Backend {
  readonly name: BackendName;
  /** A human description of the device (adapter vendor, architecture…). */
  readonly description: string;
  /** A zero-filled tensor. */
  tensor(size: number, label?: string, dtype?: DType): Tensor;
  /** A window into an existing tensor (offset in elements; GPU: multiple of 64). */
  view(t: Tensor, offset: number, size: number, label?: string): Tensor;
  write(t: Tensor, data: Float32Array | Uint32Array, offset?: number): void;
  read(t: Tensor): Promise<Float32Array>;
  readU32(t: Tensor): Promise<Uint32Array>;
  compile(fn: () => void): Program;
  /** Wait until all submitted work finished. */
  sync(): Promise<void>;
  readonly ops: Ops;
  release(t: Tensor): void;
  destroy(): void;
}

/** Element offsets of views must be multiples of this (256 bytes of f32). */
export const VIEW_ALIGN = 64;

export function alignUp(n: number, a: number = VIEW_ALIGN): number {
  return Math.ceil(n / a) * a;
}
