/**
 * The WebAssembly backend: the CPU kernels of assembly/*.ts (f32, 128-bit
 * SIMD) over one WebAssembly.Memory that holds every tensor — weights,
 * gradients, optimiser state, activations — as a byte range (WasmTensor).
 * An op passes addresses to its kernel: no copy per op.
 *
 * Execution model (as the contract's): an op called outside `compile` runs
 * at once; inside `compile(fn)` it is validated and recorded as one closure
 * over addresses and constants, and `program.run()` replays the list. Scalars
 * are re-read at each run. Everything a program needs (tensors, scratch,
 * rotary tables) is allocated while it is recorded, none while it runs.
 *
 * Work partition: every kernel call is a number of *units* (output blocks,
 * rows, (batch, head) pairs, element ranges…) whose results do not depend on
 * how they are split. Phase 1 runs all units on one thread; `partitions > 1`
 * splits each call into that many ranges run in reverse order, which is what
 * a worker pool would do — the tests use it to prove results do not change.
 */
import {
  scalar, type AttentionParams, type Backend, type DType, type GateParams, type LnModulateParams, type Ops, type Program,
  type Scalar, type Tensor,
} from '../backend.ts';
import { adaptOps, checkDtype } from '../adapter.ts';
import { seedKey } from '../host/philox.ts';
import { ropeInvFreq } from '../host/rope.ts';
import { adamwCoefficients } from '../reference/adamw.ts';
import { dropoutThreshold } from '../reference/dropout.ts';
import { WasmHeap } from './heap.ts';
import { instantiateKernels, kernelsModule, type KernelConstants, type KernelName, type Kernels } from './kernels.ts';
import { KernelPool, type SpawnWorker } from './pool.ts';

/** A tensor of the wasm backend: `size` elements at byte address `ptr` of the backend's memory. */
export class WasmTensor implements Tensor {
  constructor(
    readonly backend: WasmBackend,
    readonly ptr: number,
    readonly size: number,
    readonly dtype: DType,
    readonly label: string,
    /** True for a tensor that owns its block (not a view). */
    readonly owner: boolean,
  ) {}
}

export interface WasmBackendOptions {
  /** Split every kernel call into this many unit ranges (a stand-in for threads; default 1). */
  partitions?: number;
  /** Threads (default 1): more runs a worker pool over a shared memory, which needs `spawn`. */
  threads?: number;
  /** Starts a worker (nodeSpawn from nodeWorkers.ts in Node). */
  spawn?: SpawnWorker;
  /** Send every call of 2 units or more through the pool, however small (tests). */
  poolEverything?: boolean;
  /** Initial memory in 64 KiB pages (default 256: 16 MiB); it grows as needed. */
  initialPages?: number;
}

const MM = { transA: 1, transB: 2, accumulate: 4, bias: 8 };

/** Kernels whose last two arguments are a unit range, with the index of their scratch argument (or −1). */
const UNIT_KERNELS: Partial<Record<KernelName, number>> = {
  matmul: 8, sumRows: -1, silu: -1, siluBackward: -1, gelu: -1, geluBackward: -1, timeEmbedding: -1, axpby: -1, fill: -1,
  lincomb3: -1, flmNoising: -1, ema: -1, globalNormSqPartials: -1, adamw: -1, philoxWords: -1, gaussian: -1, dropout: -1,
  softmax: -1, logSoftmax: -1, crossEntropy: -1, crossEntropyBackward: -1, distillStage1Loss: -1, distillStage1Backward: -1,
  distillStage2Loss: -1, distillStage2Backward: -1, lnModulate: -1, lnModulateBackwardRows: -1, lnModulateBackwardCols: 14,
  gateResidual: -1, gateResidualBackward: 10, attention: 11, attentionBackward: 16, rope: -1, ropeBackward: -1,
};
/** Below this many units a call stays on the calling thread (waking the pool costs more); the default is 2. */
const POOL_MIN_UNITS: Partial<Record<KernelName, number>> = {
  silu: 32768, siluBackward: 32768, axpby: 32768, fill: 32768, lincomb3: 32768, ema: 32768, adamw: 32768,
  gelu: 8192, geluBackward: 8192, gaussian: 4096, dropout: 4096, philoxWords: 4096,
};

/**
 * The kernels as the ops call them, with every unit-range kernel sent
 * through the pool: same signature, same bits (only the split differs).
 */
function pooledKernels(real: Kernels, pool: KernelPool, everything: boolean): Kernels {
  const out: Record<string, unknown> = { ...real };
  for (const [name, scratchArg] of Object.entries(UNIT_KERNELS) as [KernelName, number][]) {
    const direct: (...a: number[]) => void = real[name];
    const min = everything ? 2 : POOL_MIN_UNITS[name] ?? 2;
    const selfArgs: number[] = [];
    let current: IArguments | null = null, n = 0;
    const self = (lo: number, hi: number) => {
      for (let i = 0; i < n; i++) selfArgs[i] = current![i];
      selfArgs[n] = lo;
      selfArgs[n + 1] = hi;
      selfArgs.length = n + 2;
      direct.apply(null, selfArgs);
    };
    out[name] = function pooled() {
      const args = arguments;
      const k = args.length - 2, lo: number = args[k], hi: number = args[k + 1];
      if (hi - lo < min) return Reflect.apply(direct, null, args);
      current = args;
      n = k;
      pool.run(name, args, k, lo, hi, scratchArg, self);
      current = null;
    };
  }
  return out as unknown as Kernels; // every field is the real function or a wrapper with its signature
}
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly description: string;
  readonly ops: Ops;
  readonly partitions: number;

  readonly threads: number;
  private readonly heap: WasmHeap;
  private readonly k: Kernels;
  private recording: (() => void)[] | null = null;
  private scratchPtr = 0;
  private scratchBytes = 0;
  /** One scratch block per pool worker (the caller's is scratchPtr). */
  private readonly workerScratch: number[] = [];
  private readonly ropeTables = new Map<string, { cos: number; sin: number }>();
  private destroyed = false;

  private constructor(
    readonly memory: WebAssembly.Memory,
    kernels: Kernels,
    private readonly c: KernelConstants,
    private readonly pool: KernelPool | null,
    opts: WasmBackendOptions,
  ) {
    this.partitions = Math.max(1, Math.floor(opts.partitions ?? 1));
    this.threads = pool ? pool.workers + 1 : 1;
    this.k = pool ? pooledKernels(kernels, pool, opts.poolEverything ?? false) : kernels;
    this.heap = new WasmHeap(memory, kernels.heapBase());
    this.description = `WebAssembly SIMD (f32x4), ${this.threads} thread${this.threads > 1 ? 's' : ''}` +
      (this.partitions > 1 ? `, ${this.partitions} partitions per kernel` : '');
    this.ensureScratch(kernels.matmulScratchBytes());
    this.ops = adaptOps(this.kernels(), {
      f32: (t, what) => this.own(t, what),
      u32: (t, what) => this.own(t, what),
    });
  }

  static async create(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    const shared = threads > 1;
    if (shared && !opts.spawn) throw new Error('wasm backend: threads > 1 needs a spawn function (nodeSpawn in Node)');
    const memory = new WebAssembly.Memory({ initial: opts.initialPages ?? 256, maximum: 65536, shared });
    const { kernels, constants } = await instantiateKernels(memory, shared);
    const pool = shared ? await KernelPool.create(opts.spawn!, threads - 1, await kernelsModule(true), memory) : null;
    return new WasmBackend(memory, kernels, constants, pool, opts);
  }

  /** Bytes of the memory handed out to tensors, scratch and tables. */
  get allocatedBytes(): number {
    return this.heap.liveBytes;
  }

  tensor(size: number, label = 'tensor', dtype: DType = 'f32'): Tensor {
    this.check();
    if (!(size >= 0) || !Number.isInteger(size)) throw new RangeError(`tensor ${label}: bad size ${size}`);
    return new WasmTensor(this, this.heap.alloc(size * 4), size, dtype, label, true);
  }

  view(t: Tensor, offset: number, size: number, label?: string): Tensor {
    const w = this.own(t, 'view');
    if (offset < 0 || size < 0 || offset + size > w.size) throw new RangeError(`view [${offset}, ${offset + size}) outside ${w.label} of ${w.size}`);
    return new WasmTensor(this, w.ptr + offset * 4, size, w.dtype, label ?? `${w.label}[${offset}:]`, false);
  }

  write(t: Tensor, data: Float32Array | Uint32Array, offset = 0): void {
    const w = this.own(t, 'write');
    if (offset < 0 || offset + data.length > w.size) throw new RangeError(`write of ${data.length} at ${offset} outside ${w.label} of ${w.size}`);
    this.array(w, offset, data.length).set(data);
  }

  async read(t: Tensor): Promise<Float32Array> {
    const w = this.own(t, 'read');
    return Float32Array.from(this.array(w, 0, w.size));
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    const w = this.own(t, 'readU32');
    return Uint32Array.from(this.array(w, 0, w.size));
  }

  compile(fn: () => void): Program {
    this.check();
    if (this.recording) throw new Error('compile() cannot be nested');
    const list: (() => void)[] = [];
    this.recording = list;
    try {
      fn();
    } finally {
      this.recording = null;
    }
    return {
      run: () => {
        this.check();
        for (let i = 0; i < list.length; i++) list[i]();
      },
    };
  }

  async sync(): Promise<void> {}

  release(t: Tensor): void {
    const w = this.own(t, 'release');
    if (w.owner) this.heap.release(w.ptr);
  }

  destroy(): void {
    this.destroyed = true;
    this.pool?.terminate();
  }

  // ---- plumbing ----

  private check(): void {
    if (this.destroyed) throw new Error('wasm backend destroyed');
  }

  /** `t` as this backend's tensor; `what` (the op and argument, or the method) begins the error. */
  private own(t: Tensor, what?: string): WasmTensor {
    if (!(t instanceof WasmTensor) || t.backend !== this) throw new TypeError(`${what ? `${what}: ` : ''}${t.label} is not a tensor of this wasm backend`);
    return t;
  }

  private array(w: WasmTensor, offset: number, n: number): Float32Array | Uint32Array {
    return w.dtype === 'f32' ? new Float32Array(this.memory.buffer, w.ptr + offset * 4, n) : new Uint32Array(this.memory.buffer, w.ptr + offset * 4, n);
  }

  /** Address of a tensor holding at least n elements. */
  private at(w: WasmTensor, n: number, what: string): number {
    if (w.size < n) throw new RangeError(`${what}: ${w.label} has ${w.size} elements, needs ${n}`);
    return w.ptr;
  }

  /** The kernels' scratch grows (at record time) to the largest need; calls read the current address when they run. */
  private ensureScratch(bytes: number): void {
    if (bytes <= this.scratchBytes) return;
    if (this.scratchPtr) this.heap.release(this.scratchPtr);
    this.scratchPtr = this.heap.alloc(bytes);
    this.scratchBytes = bytes;
    if (this.pool) {
      for (let w = 0; w < this.pool.workers; w++) {
        if (this.workerScratch[w]) this.heap.release(this.workerScratch[w]);
        this.workerScratch[w] = this.heap.alloc(bytes);
        this.pool.setScratch(w, this.workerScratch[w]);
      }
    }
  }

  /** Record (inside compile) or run one kernel call over `units` units. */
  private dispatch(units: number, kernel: (lo: number, hi: number) => void): void {
    this.check();
    const parts = Math.min(this.partitions, units);
    let call: () => void;
    if (parts <= 1) {
      call = () => kernel(0, units);
    } else {
      const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * units) / parts));
      call = () => { for (let p = parts - 1; p >= 0; p--) kernel(bounds[p], bounds[p + 1]); };
    }
    if (this.recording) this.recording.push(call);
    else call();
  }

  /** cos and sin (f64) of l·inv_freq_i for l < L, i < d/2: the reference's own angles, computed once per (L, d). */
  private rope(L: number, d: number): { cos: number; sin: number } {
    const key = `${L},${d}`;
    let t = this.ropeTables.get(key);
    if (!t) {
      const half = d >> 1, inv = ropeInvFreq(d);
      const cos = this.heap.alloc(L * half * 8), sin = this.heap.alloc(L * half * 8);
      const c = new Float64Array(this.memory.buffer, cos, L * half), s = new Float64Array(this.memory.buffer, sin, L * half);
      for (let l = 0; l < L; l++) for (let i = 0; i < half; i++) {
        const ang = l * inv[i];
        c[l * half + i] = Math.cos(ang);
        s[l * half + i] = Math.sin(ang);
      }
      t = { cos, sin };
      this.ropeTables.set(key, t);
    }
    return t;
  }

  /** Each op as calls of the compiled kernels over unit ranges, on this backend's tensors (adapted to `Ops` by adaptOps). */
  private kernels(): Ops<WasmTensor> {
    const k = this.k, c = this.c;
    const f = this.at.bind(this); // a tensor's address, checked to hold n elements (its dtype the adapter checked)
    const scratch = () => this.scratchPtr;
    const mod = (p: LnModulateParams | GateParams, t: WasmTensor, what: string) =>
      f(t, Math.ceil(p.rows / p.rowsPerItem) * p.modStride, what);
    const attn = (p: AttentionParams) => {
      this.ensureScratch(k.attentionScratchBytes(p.length, p.headDim));
      return { n: p.batch * p.heads * p.length * p.headDim, na: p.batch * p.heads * p.length * p.length };
    };
    const rows = (n: number, cols: number) => n * cols;

    return {
      matmul: (out, a, b, p, bias) => {
        const { M, N, K } = p;
        const flags = (p.transA ? MM.transA : 0) | (p.transB ? MM.transB : 0) | (p.accumulate ? MM.accumulate : 0) | (bias ? MM.bias : 0);
        const o = f(out, M * N, 'matmul out'), pa = f(a, M * K, 'matmul a'), pb = f(b, K * N, 'matmul b');
        const pbias = bias ? f(bias, N, 'matmul bias') : 0;
        this.dispatch(k.matmulUnits(M, N), (lo, hi) => k.matmul(o, pa, pb, pbias, M, N, K, flags, scratch(), lo, hi));
      },
      sumRows: (out, x, nr, cols, acc) => {
        const o = f(out, cols, 'sumRows out'), px = f(x, nr * cols, 'sumRows x');
        this.dispatch(Math.ceil(cols / 4), (lo, hi) => k.sumRows(o, px, nr, cols, acc ? 1 : 0, lo, hi));
      },
      silu: (out, x, n) => {
        const o = f(out, n, 'silu out'), px = f(x, n, 'silu x');
        this.dispatch(n, (lo, hi) => k.silu(o, px, lo, hi));
      },
      siluBackward: (dx, x, dy, n, acc) => {
        const o = f(dx, n, 'siluBackward dx'), px = f(x, n, 'siluBackward x'), pdy = f(dy, n, 'siluBackward dy');
        this.dispatch(n, (lo, hi) => k.siluBackward(o, px, pdy, acc ? 1 : 0, lo, hi));
      },
      gelu: (out, x, n, approx) => {
        const o = f(out, n, 'gelu out'), px = f(x, n, 'gelu x'), ap = approx === 'tanh' ? 0 : 1;
        this.dispatch(ap === 0 ? Math.ceil(n / 4) : n, (lo, hi) => k.gelu(o, px, ap, n, lo, hi));
      },
      geluBackward: (dx, x, dy, n, approx, acc) => {
        const o = f(dx, n, 'geluBackward dx'), px = f(x, n, 'geluBackward x'), pdy = f(dy, n, 'geluBackward dy');
        const ap = approx === 'tanh' ? 0 : 1;
        this.dispatch(ap === 0 ? Math.ceil(n / 4) : n, (lo, hi) => k.geluBackward(o, px, pdy, ap, acc ? 1 : 0, n, lo, hi));
      },
      timeEmbedding: (out, t, batch, dim) => {
        const o = f(out, batch * dim, 'timeEmbedding out'), pt = f(t, batch, 'timeEmbedding t');
        this.dispatch(batch, (lo, hi) => k.timeEmbedding(o, pt, dim, lo, hi));
      },
      lnModulate: ({ out, mean, rstd, x, w, mod: m }, p) => {
        const n = p.rows * p.dim;
        const o = f(out, n, 'lnModulate out'), pm = f(mean, p.rows, 'lnModulate mean'), pr = f(rstd, p.rows, 'lnModulate rstd');
        const px = f(x, n, 'lnModulate x'), pw = f(w, p.dim, 'lnModulate w'), pmod = mod(p, m, 'lnModulate mod');
        this.dispatch(p.rows, (lo, hi) => k.lnModulate(o, pm, pr, px, pw, pmod, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset, p.eps, lo, hi));
      },
      lnModulateBackward: ({ dx, dw, dmod, dout, x, mean, rstd, w, mod: m }, p) => {
        const n = p.rows * p.dim;
        const pdx = f(dx, n, 'lnModulateBackward dx'), pdw = f(dw, p.dim, 'lnModulateBackward dw');
        const pdmod = mod(p, dmod, 'lnModulateBackward dmod'), pdout = f(dout, n, 'lnModulateBackward dout');
        const px = f(x, n, 'lnModulateBackward x'), pm = f(mean, p.rows, 'lnModulateBackward mean');
        const pr = f(rstd, p.rows, 'lnModulateBackward rstd'), pw = f(w, p.dim, 'lnModulateBackward w');
        const pmod = mod(p, m, 'lnModulateBackward mod');
        this.ensureScratch(3 * c.LN_COLS * 8);
        // Column sums first: they read dout, which dx may alias.
        this.dispatch(Math.ceil(p.dim / c.LN_COLS), (lo, hi) => k.lnModulateBackwardCols(pdw, pdmod, pdout, px, pm, pr, pw, pmod,
          p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset, scratch(), lo, hi));
        this.dispatch(p.rows, (lo, hi) => k.lnModulateBackwardRows(pdx, pdout, px, pm, pr, pw, pmod, p.dim, p.rowsPerItem, p.modStride,
          p.scaleOffset, lo, hi));
      },
      gateResidual: (h, y, m, p) => {
        const n = p.rows * p.dim;
        const ph = f(h, n, 'gateResidual h'), py = f(y, n, 'gateResidual y'), pmod = mod(p, m, 'gateResidual mod');
        this.dispatch(p.rows, (lo, hi) => k.gateResidual(ph, py, pmod, p.dim, p.rowsPerItem, p.modStride, p.gateOffset, lo, hi));
      },
      gateResidualBackward: ({ dy, dmod, dh, y, mod: m }, p) => {
        const n = p.rows * p.dim;
        const pdy = f(dy, n, 'gateResidualBackward dy'), pdmod = mod(p, dmod, 'gateResidualBackward dmod');
        const pdh = f(dh, n, 'gateResidualBackward dh'), py = f(y, n, 'gateResidualBackward y'), pmod = mod(p, m, 'gateResidualBackward mod');
        this.ensureScratch(p.dim * 8);
        this.dispatch(Math.ceil(p.rows / p.rowsPerItem), (lo, hi) => k.gateResidualBackward(pdy, pdmod, pdh, py, pmod, p.rows, p.dim,
          p.rowsPerItem, p.modStride, p.gateOffset, scratch(), lo, hi));
      },
      rope: (q, kk, v, qkv, p) => {
        const { batch: B, length: L, heads: H, headDim: d } = p, n = B * H * L * d;
        const pq = f(q, n, 'rope q'), pk = f(kk, n, 'rope k'), pv = f(v, n, 'rope v'), pqkv = f(qkv, 3 * n, 'rope qkv');
        const tab = this.rope(L, d);
        this.dispatch(B * L, (lo, hi) => k.rope(pq, pk, pv, pqkv, tab.cos, tab.sin, L, H, d, lo, hi));
      },
      ropeBackward: (dqkv, dq, dk, dv, p) => {
        const { batch: B, length: L, heads: H, headDim: d } = p, n = B * H * L * d;
        const pdqkv = f(dqkv, 3 * n, 'ropeBackward dqkv'), pdq = f(dq, n, 'ropeBackward dq');
        const pdk = f(dk, n, 'ropeBackward dk'), pdv = f(dv, n, 'ropeBackward dv');
        const tab = this.rope(L, d);
        this.dispatch(B * L, (lo, hi) => k.ropeBackward(pdqkv, pdq, pdk, pdv, tab.cos, tab.sin, L, H, d, lo, hi));
      },
      attention: ({ o, att, q, k: kk, v }, p) => {
        const { n, na } = attn(p);
        const po = f(o, n, 'attention o'), patt = f(att, na, 'attention att');
        const pq = f(q, n, 'attention q'), pk = f(kk, n, 'attention k'), pv = f(v, n, 'attention v');
        const { batch: B, length: L, heads: H, headDim: d, softcap } = p, causal = p.causal ? 1 : 0;
        this.dispatch(B * H, (lo, hi) => k.attention(po, patt, pq, pk, pv, B, L, H, d, softcap, causal, scratch(), lo, hi));
      },
      attentionBackward: ({ dq, dk, dv, scratch: sc, dout, att, q, k: kk, v, o }, p) => {
        const { n, na } = attn(p);
        const pdq = f(dq, n, 'attentionBackward dq'), pdk = f(dk, n, 'attentionBackward dk'), pdv = f(dv, n, 'attentionBackward dv');
        const psc = f(sc, na, 'attentionBackward scratch'), pdout = f(dout, n, 'attentionBackward dout');
        const patt = f(att, na, 'attentionBackward att'), pq = f(q, n, 'attentionBackward q'), pk = f(kk, n, 'attentionBackward k');
        const pv = f(v, n, 'attentionBackward v'), po = f(o, n, 'attentionBackward o');
        const { batch: B, length: L, heads: H, headDim: d, softcap } = p, causal = p.causal ? 1 : 0;
        this.dispatch(B * H, (lo, hi) => k.attentionBackward(pdq, pdk, pdv, psc, pdout, patt, pq, pk, pv, po, B, L, H, d, softcap, causal, scratch(), lo, hi));
      },
      softmax: (out, x, nr, cols) => {
        const o = f(out, rows(nr, cols), 'softmax out'), px = f(x, rows(nr, cols), 'softmax x');
        this.dispatch(nr, (lo, hi) => k.softmax(o, px, cols, lo, hi));
      },
      logSoftmax: (out, x, nr, cols) => {
        const o = f(out, rows(nr, cols), 'logSoftmax out'), px = f(x, rows(nr, cols), 'logSoftmax x');
        this.dispatch(nr, (lo, hi) => k.logSoftmax(o, px, cols, lo, hi));
      },
      crossEntropy: (ce, logits, targets, nr, cols) => {
        const o = f(ce, nr, 'crossEntropy ce'), pl = f(logits, rows(nr, cols), 'crossEntropy logits'), pt = f(targets, nr, 'crossEntropy targets');
        this.dispatch(nr, (lo, hi) => k.crossEntropy(o, pl, pt, cols, lo, hi));
      },
      crossEntropyBackward: (dl, logits, targets, dce, nr, cols) => {
        const o = f(dl, rows(nr, cols), 'crossEntropyBackward dlogits'), pl = f(logits, rows(nr, cols), 'crossEntropyBackward logits');
        const pt = f(targets, nr, 'crossEntropyBackward targets'), pd = f(dce, nr, 'crossEntropyBackward dce');
        this.dispatch(nr, (lo, hi) => k.crossEntropyBackward(o, pl, pt, pd, cols, lo, hi));
      },
      weightedLoss: ({ perToken, loss, dce, dw, ce, w }, batch, length) => {
        const n = batch * length;
        const pp = f(perToken, n, 'weightedLoss perToken'), pl = f(loss, 1, 'weightedLoss loss'), pd = f(dce, n, 'weightedLoss dce');
        const pdw = dw ? f(dw, batch, 'weightedLoss dw') : 0, pce = f(ce, n, 'weightedLoss ce'), pw = w ? f(w, batch, 'weightedLoss w') : 0;
        this.dispatch(1, () => k.weightedLoss(pp, pl, pd, pdw, pce, pw, w ? 1 : 0, dw ? 1 : 0, batch, length));
      },
      gaussian: (out, n, seed, counter) => {
        const o = f(out, n, 'gaussian out');
        this.dispatch(Math.ceil(n / 4), (lo, hi) => {
          const [k0, k1] = seedKey(scalar(seed));
          k.gaussian(o, n, scalar(counter) >>> 0, k0, k1, lo, hi);
        });
      },
      flmNoising: (x, eps, targets, gamma, batch, length, vocab) => {
        const n = batch * length * vocab;
        const px = f(x, n, 'flmNoising x'), pe = f(eps, n, 'flmNoising eps'), pt = f(targets, batch * length, 'flmNoising targets');
        const pg = f(gamma, batch, 'flmNoising gamma');
        this.dispatch(batch * length, (lo, hi) => k.flmNoising(px, pe, pt, pg, length, vocab, lo, hi));
      },
      dropout: (out, x, n, p, seed, counter) => {
        const o = f(out, n, 'dropout out'), px = f(x, n, 'dropout x');
        const thr = dropoutThreshold(p), sc = p >= 1 ? 0 : 1 / (1 - p);
        this.dispatch(Math.ceil(n / 4), (lo, hi) => {
          const [k0, k1] = seedKey(scalar(seed));
          k.dropout(o, px, n, thr, sc, scalar(counter) >>> 0, k0, k1, lo, hi);
        });
      },
      axpby: (out, a, x, b, y, n) => {
        const o = f(out, n, 'axpby out'), px = f(x, n, 'axpby x'), py = f(y, 0, 'axpby y');
        this.dispatch(n, (lo, hi) => {
          const bv = scalar(b);
          if (bv !== 0) f(y, n, 'axpby y');
          k.axpby(o, scalar(a), px, bv, py, lo, hi);
        });
      },
      fill: (out, value, n) => {
        const o = f(out, n, 'fill out');
        this.dispatch(n, (lo, hi) => k.fill(o, value, lo, hi));
      },
      lincomb3: ({ out, x, y, z, c: cc }, n, perBatch) => {
        const batches = Math.ceil(n / perBatch);
        const o = f(out, n, 'lincomb3 out'), px = f(x, n, 'lincomb3 x'), py = f(y, n, 'lincomb3 y'), pz = f(z, n, 'lincomb3 z');
        const pc = f(cc, 3 * batches, 'lincomb3 c');
        this.dispatch(n, (lo, hi) => k.lincomb3(o, px, py, pz, pc, perBatch, lo, hi));
      },
      distillStage1Loss: (raw, g, tgt, cc, nr, cols, length) => {
        const n = rows(nr, cols);
        const o = f(raw, nr, 'distillStage1Loss raw'), pg = f(g, n, 'distillStage1Loss g'), pt = f(tgt, n, 'distillStage1Loss tgt');
        const pc = f(cc, Math.ceil(nr / length), 'distillStage1Loss c');
        this.dispatch(nr, (lo, hi) => k.distillStage1Loss(o, pg, pt, pc, cols, length, lo, hi));
      },
      distillStage1Backward: ({ dg, g, tgt, c: cc, dce }, nr, cols, length) => {
        const n = rows(nr, cols);
        const o = f(dg, n, 'distillStage1Backward dg'), pg = f(g, n, 'distillStage1Backward g'), pt = f(tgt, n, 'distillStage1Backward tgt');
        const pc = f(cc, Math.ceil(nr / length), 'distillStage1Backward c'), pd = f(dce, nr, 'distillStage1Backward dce');
        this.dispatch(nr, (lo, hi) => k.distillStage1Backward(o, pg, pt, pc, pd, cols, length, lo, hi));
      },
      distillStage2Loss: ({ raw, q, logits, F, xs, a }, nr, cols, length) => {
        const n = rows(nr, cols);
        const o = f(raw, nr, 'distillStage2Loss raw'), pq = f(q, n, 'distillStage2Loss q'), pl = f(logits, n, 'distillStage2Loss logits');
        const pF = f(F, n, 'distillStage2Loss F'), pxs = f(xs, n, 'distillStage2Loss xs'), pa = f(a, Math.ceil(nr / length), 'distillStage2Loss a');
        this.dispatch(nr, (lo, hi) => k.distillStage2Loss(o, pq, pl, pF, pxs, pa, cols, length, lo, hi));
      },
      distillStage2Backward: ({ dlogits: dl, q, F, xs, a, dce }, nr, cols, length) => {
        const n = rows(nr, cols);
        const o = f(dl, n, 'distillStage2Backward dlogits'), pq = f(q, n, 'distillStage2Backward q'), pF = f(F, n, 'distillStage2Backward F');
        const pxs = f(xs, n, 'distillStage2Backward xs'), pa = f(a, Math.ceil(nr / length), 'distillStage2Backward a');
        const pd = f(dce, nr, 'distillStage2Backward dce');
        this.dispatch(nr, (lo, hi) => k.distillStage2Backward(o, pq, pF, pxs, pa, pd, cols, length, lo, hi));
      },
      gradNormScratchSize: (n) => 2 * Math.max(1, Math.ceil(n / c.NORM_CHUNK)),
      globalNormSq: (out, sc, x, n) => {
        const chunks = Math.ceil(n / c.NORM_CHUNK);
        const o = f(out, 1, 'globalNormSq out'), ps = f(sc, 2 * chunks, 'globalNormSq scratch'), px = f(x, n, 'globalNormSq x');
        this.dispatch(chunks, (lo, hi) => k.globalNormSqPartials(ps, px, n, lo, hi));
        this.dispatch(1, () => k.globalNormSqFinish(o, ps, chunks));
      },
      adamw: ({ params, grads, m, v, normSq }, n, hp) => {
        const pp = f(params, n, 'adamw params'), pg = f(grads, n, 'adamw grads'), pm = f(m, n, 'adamw m'), pv = f(v, n, 'adamw v');
        const pn = f(normSq, 1, 'adamw normSq');
        this.dispatch(n, (lo, hi) => {
          const { decay, stepSize, bc2Sqrt } = adamwCoefficients(hp);
          k.adamw(pp, pg, pm, pv, pn, decay, stepSize, bc2Sqrt, hp.beta1, hp.beta2, hp.eps, hp.maxGradNorm, lo, hi);
        });
      },
      ema: (e, params, n, decay) => {
        const pe = f(e, n, 'ema'), pp = f(params, n, 'ema params');
        this.dispatch(n, (lo, hi) => k.ema(pe, pp, scalar(decay), lo, hi));
      },
    };
  }

  /** Philox words of stream (seed, counter) (for tests: bit-identical to the host generator). */
  philoxWords(out: Tensor, n: number, seed: Scalar, counter: Scalar): void {
    checkDtype(out, 'u32', 'philoxWords out');
    const o = this.at(this.own(out), n, 'philoxWords out');
    this.dispatch(Math.ceil(n / 4), (lo, hi) => {
      const [k0, k1] = seedKey(scalar(seed));
      this.k.philoxWords(o, n, scalar(counter) >>> 0, k0, k1, lo, hi);
    });
  }
}
