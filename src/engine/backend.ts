/**
 * The backend contract every part of the core is written against.
 *
 * Two implementations exist: the plain TypeScript reference backend
 * (`cpu/cpuBackend.ts`, the oracle) and the WebGPU backend
 * (`webgpu/gpuBackend.ts`). The model, the FLM math and the trainer call
 * `backend.ops.*` and never know which one runs.
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
 * Every operation the DiT forward and backward and the FLM losses need.
 * Shapes are row-major. "(+=)" marks outputs that honour `accumulate`.
 */
export interface Ops {
  /** out[M,N] (+)= op(A)·op(B) (+ bias[N]). */
  matmul(out: Tensor, a: Tensor, b: Tensor, p: MatmulParams, bias?: Tensor): void;
  /** out[N] (+)= Σ_rows x[rows, N] (bias gradients). */
  sumRows(out: Tensor, x: Tensor, rows: number, cols: number, accumulate?: boolean): void;

  /** out = x·sigmoid(x). */
  silu(out: Tensor, x: Tensor, n: number): void;
  /** dx (+)= dy·silu'(x). */
  siluBackward(dx: Tensor, x: Tensor, dy: Tensor, n: number, accumulate?: boolean): void;
  /** out = gelu(x), tanh approximation or exact (erf). */
  gelu(out: Tensor, x: Tensor, n: number, approx: GeluApprox): void;
  /** dx (+)= dy·gelu'(x). */
  geluBackward(dx: Tensor, x: Tensor, dy: Tensor, n: number, approx: GeluApprox, accumulate?: boolean): void;

  /** Sinusoidal features out[B, dim] = [cos(t·ω_i), sin(t·ω_i)], ω_i = exp(−ln(maxPeriod)·i/(dim/2)). */
  timeEmbedding(out: Tensor, t: Tensor, batch: number, dim: number): void;

  /**
   * out = LN(x)·w·(1 + scale) + shift, LayerNorm without bias; saves the
   * per-row mean and reciprocal standard deviation for the backward pass.
   */
  lnModulate(out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, mod: Tensor, p: LnModulateParams): void;
  /**
   * Backward of lnModulate: dx += (always accumulates: it is the residual
   * stream's gradient), dw = (overwrites), dmod's shift and scale columns = .
   */
  lnModulateBackward(
    dx: Tensor, dw: Tensor, dmod: Tensor,
    dout: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, w: Tensor, mod: Tensor,
    p: LnModulateParams,
  ): void;

  /** h += gate·y (in place on the residual stream h). */
  gateResidual(h: Tensor, y: Tensor, mod: Tensor, p: GateParams): void;
  /** dy = dh·gate; dmod's gate columns = Σ_rows-of-item dh·y. */
  gateResidualBackward(dy: Tensor, dmod: Tensor, dh: Tensor, y: Tensor, mod: Tensor, p: GateParams): void;

  /**
   * From qkv [B, L, 3D] (column = which·D + head·d + j) to q, k, v in
   * [B, H, L, d], applying NeoX rotary (non-interleaved halves) to q and k
   * at position l with inv_freq_i = 10000^(−2i/d).
   */
  rope(q: Tensor, k: Tensor, v: Tensor, qkv: Tensor, p: AttentionParams): void;
  /** Transpose of rope for gradients: writes (overwrites) dqkv [B, L, 3D]. */
  ropeBackward(dqkv: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, p: AttentionParams): void;

  /**
   * Softcapped attention, bidirectional (or causal with `p.causal`: the
   * probabilities of keys j > i are exactly 0). att [B, H, L, L] keeps the softmax
   * probabilities for backward; o [B, L, D] has the heads concatenated.
   */
  attention(o: Tensor, att: Tensor, q: Tensor, k: Tensor, v: Tensor, p: AttentionParams): void;
  /** Writes (overwrites) dq, dk, dv [B, H, L, d]; scratch [B, H, L, L] is overwritten. */
  attentionBackward(
    dq: Tensor, dk: Tensor, dv: Tensor, scratch: Tensor,
    dout: Tensor, att: Tensor, q: Tensor, k: Tensor, v: Tensor, o: Tensor,
    p: AttentionParams,
  ): void;

  /** Row-wise softmax over the last axis of [rows, cols]. */
  softmax(out: Tensor, x: Tensor, rows: number, cols: number): void;
  /** Row-wise log-softmax. */
  logSoftmax(out: Tensor, x: Tensor, rows: number, cols: number): void;
  /** ce[r] = logsumexp(logits[r]) − logits[r, target[r]]. */
  crossEntropy(ce: Tensor, logits: Tensor, targets: Tensor, rows: number, cols: number): void;
  /** dlogits[r] = (softmax(logits[r]) − onehot(target[r]))·dce[r]. */
  crossEntropyBackward(dlogits: Tensor, logits: Tensor, targets: Tensor, dce: Tensor, rows: number, cols: number): void;

  /**
   * The mean token loss with optional per-sequence loss weighting w[B]:
   * perToken = exp(−w)·ce + w (or ce when w is null), loss[0] = mean.
   * Also writes d loss/d ce into dce and, with w, d loss/d w into dw.
   */
  weightedLoss(
    perToken: Tensor, loss: Tensor, dce: Tensor, dw: Tensor | null,
    ce: Tensor, w: Tensor | null, batch: number, length: number,
  ): void;

  /**
   * Standard normal noise from a counter-based generator (Philox4x32-10 and
   * Box–Muller): element i of the stream (seed, counter) lands in out[i].
   */
  gaussian(out: Tensor, n: number, seed: Scalar, counter: Scalar): void;

  /**
   * The FLM noising path x = (1 − γ_b)·ε + γ_b·onehot(target) over [B, L, V]
   * (spec section 1), with γ [B] and targets [B·L] (u32).
   */
  flmNoising(x: Tensor, eps: Tensor, targets: Tensor, gamma: Tensor, batch: number, length: number, vocab: number): void;

  /**
   * Dropout with a counter-based mask: out = x·mask/(1 − p). The mask depends
   * only on (seed, counter, i), so backward is the same op on the gradient.
   */
  dropout(out: Tensor, x: Tensor, n: number, p: number, seed: Scalar, counter: Scalar): void;

  /** out = a·x + b·y elementwise (b may be 0, y then ignored). out must not alias x or y. */
  axpby(out: Tensor, a: Scalar, x: Tensor, b: Scalar, y: Tensor, n: number): void;
  /** out[i] = value. */
  fill(out: Tensor, value: number, n: number): void;

  /**
   * Per-batch linear combination over [B, perBatch]: out = c[b,0]·x + c[b,1]·y
   * + c[b,2]·z with coefficients c [B·3]; a zero coefficient skips its input.
   * out must not alias an input. (The flow-map updates of spec sections 6–7.)
   */
  lincomb3(out: Tensor, x: Tensor, y: Tensor, z: Tensor, c: Tensor, n: number, perBatch: number): void;
  /** Stage-1 distillation: raw[r] = Σ_v (tgt − c_b·g)² over rows of [B·L, V] (c [B]). */
  distillStage1Loss(raw: Tensor, g: Tensor, tgt: Tensor, c: Tensor, rows: number, cols: number, length: number): void;
  /** Its gradient: dg = −2·c_b·dce[r]·(tgt − c_b·g). */
  distillStage1Backward(dg: Tensor, g: Tensor, tgt: Tensor, c: Tensor, dce: Tensor, rows: number, cols: number, length: number): void;
  /** Stage-2 distillation: q = softmax(logits), raw[r] = Σ_v (F − x_s − a_b·(q − x_s))² (a [B]). */
  distillStage2Loss(raw: Tensor, q: Tensor, logits: Tensor, F: Tensor, xs: Tensor, a: Tensor, rows: number, cols: number, length: number): void;
  /** Its gradient through the softmax: dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce[r]·(F − F̂). */
  distillStage2Backward(dlogits: Tensor, q: Tensor, F: Tensor, xs: Tensor, a: Tensor, dce: Tensor, rows: number, cols: number, length: number): void;

  /** Floats of scratch `globalNormSq` needs for n elements. */
  gradNormScratchSize(n: number): number;
  /** out[0] = Σ x² (deterministic two-stage reduction). */
  globalNormSq(out: Tensor, scratch: Tensor, x: Tensor, n: number): void;
  /**
   * AdamW with global-norm clipping read from normSq[0] on the device; a
   * non-finite normSq leaves params, m and v untouched.
   */
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, normSq: Tensor, n: number, hp: AdamWParams): void;
  /** emaParams = decay·emaParams + (1 − decay)·params. */
  ema(emaParams: Tensor, params: Tensor, n: number, decay: Scalar): void;
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
