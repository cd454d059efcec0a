/**
 * A pool of workers that run the kernels over the backend's shared memory
 * (phase 2 of the wasm backend). Each worker instantiates the same module
 * over the same `WebAssembly.Memory` and waits on a control block; a kernel
 * call writes its arguments there, wakes the workers and runs its own share
 * on the calling thread. The call's unit range [lo, hi) is split into
 * `workers + 1` fixed ranges (range p starts at lo + round(p·(hi − lo)/parts)), and
 * a unit's result never depends on the split (see assembly/index.ts), so
 * the bits are those of one thread. The caller blocks (Atomics.wait) until
 * every range is done: allowed in Node's main thread and in web workers,
 * not on a page's main thread.
 */
import { FUNCTIONS, type KernelName } from './kernels.ts';

/** A started worker (Node's worker_threads.Worker and the web's Worker both fit). */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** Start a worker running `source`, a classic script (the platform's part: see nodeWorkers.ts). */
export type SpawnWorker = (source: string) => WorkerHandle;

// Control block (Int32Array): generation, done count, kernel index, argument count, unit range,
// index of the scratch argument (−1: none), stop flag, ready count, error flag, then one
// scratch address per worker.
const GEN = 0, DONE = 1, FN = 2, NARGS = 3, LO = 4, HI = 5, SCRATCH_ARG = 6, STOP = 7, READY = 8, ERROR = 9, SCRATCH0 = 10;
const MAX_ARGS = 32;
/** Longest error message a worker passes back. */
const MSG_CHARS = 500;

/** The worker's script: no imports, so it runs the same in Node (eval) and in a browser (blob URL). */
const WORKER_SOURCE = `'use strict';
const GEN = ${GEN}, DONE = ${DONE}, FN = ${FN}, NARGS = ${NARGS}, LO = ${LO}, HI = ${HI}, SCRATCH_ARG = ${SCRATCH_ARG}, STOP = ${STOP}, READY = ${READY}, ERROR = ${ERROR}, SCRATCH0 = ${SCRATCH0};
function start(d) {
  const ctrl = new Int32Array(d.ctrl), args = new Float64Array(d.args), msg = new Uint16Array(d.msg);
  WebAssembly.instantiate(d.module, { env: { memory: d.memory } }).then((inst) => {
    const fns = d.names.map((n) => inst.exports[n]);
    const arrays = [];
    for (let n = 0; n <= ${MAX_ARGS + 2}; n++) arrays.push(new Array(n).fill(0));
    let gen = Atomics.load(ctrl, GEN);
    Atomics.add(ctrl, READY, 1);
    Atomics.notify(ctrl, READY);
    for (;;) {
      Atomics.wait(ctrl, GEN, gen);
      gen = Atomics.load(ctrl, GEN);
      if (Atomics.load(ctrl, STOP)) return;
      try {
        const n = ctrl[NARGS], sa = ctrl[SCRATCH_ARG], r0 = ctrl[LO], units = ctrl[HI] - r0;
        const lo = r0 + Math.round((d.part * units) / d.parts), hi = r0 + Math.round(((d.part + 1) * units) / d.parts);
        if (lo < hi) {
          const a = arrays[n + 2];
          for (let i = 0; i < n; i++) a[i] = args[i];
          if (sa >= 0) a[sa] = ctrl[SCRATCH0 + d.part - 1] >>> 0;
          a[n] = lo;
          a[n + 1] = hi;
          fns[ctrl[FN]].apply(null, a);
        }
      } catch (e) {
        // The first failing worker writes its message (UTF-16 code units, length first).
        if (Atomics.compareExchange(ctrl, ERROR, 0, 1) === 0) {
          const text = String(e && e.message ? e.message : e).slice(0, ${MSG_CHARS});
          msg[0] = text.length;
          for (let i = 0; i < text.length; i++) msg[i + 1] = text.charCodeAt(i);
        }
      }
      Atomics.add(ctrl, DONE, 1);
      Atomics.notify(ctrl, DONE);
    }
  });
}
if (typeof require === 'function') require('node:worker_threads').parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

export class KernelPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly msg: Uint16Array;
  private readonly parts: number;
  private readonly index = new Map(FUNCTIONS.map((name, i) => [name, i]));
  private stopped = false;

  private constructor(private readonly handles: WorkerHandle[], ctrl: SharedArrayBuffer, args: SharedArrayBuffer, msg: SharedArrayBuffer) {
    this.ctrl = new Int32Array(ctrl);
    this.args = new Float64Array(args);
    this.msg = new Uint16Array(msg);
    this.parts = handles.length + 1;
  }

  /** Start `workers` workers over `memory` (shared) running `module` (the shared-memory build). */
  static async create(spawn: SpawnWorker, workers: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelPool> {
    const ctrl = new SharedArrayBuffer(4 * (SCRATCH0 + workers)), args = new SharedArrayBuffer(8 * MAX_ARGS);
    const msg = new SharedArrayBuffer(2 * (MSG_CHARS + 1));
    const handles: WorkerHandle[] = [];
    for (let w = 0; w < workers; w++) {
      const h = spawn(WORKER_SOURCE);
      h.postMessage({ module, memory, ctrl, args, msg, part: w + 1, parts: workers + 1, names: FUNCTIONS });
      handles.push(h);
    }
    const pool = new KernelPool(handles, ctrl, args, msg);
    const t0 = Date.now();
    while (Atomics.load(pool.ctrl, READY) < workers) {
      if (Date.now() - t0 > 30_000) { pool.terminate(); throw new Error('wasm worker pool: workers did not start'); }
      await new Promise((r) => setTimeout(r, 2));
    }
    return pool;
  }

  get workers(): number {
    return this.handles.length;
  }

  /** Worker w's scratch address (the pool substitutes it for the caller's). */
  setScratch(worker: number, ptr: number): void {
    this.ctrl[SCRATCH0 + worker] = ptr | 0;
  }

  /**
   * Run kernel `name` over units [lo, hi): args[0..n) are its arguments
   * before the unit range, args[scratchArg] the caller's scratch (or −1);
   * `self` runs the caller's part on this thread.
   */
  run(name: KernelName, args: ArrayLike<number>, n: number, lo: number, hi: number, scratchArg: number,
    self: (lo: number, hi: number) => void): void {
    if (this.stopped) throw new Error('wasm worker pool stopped');
    if (n > MAX_ARGS) throw new RangeError(`${name}: ${n} arguments, the pool passes ${MAX_ARGS}`);
    const c = this.ctrl;
    for (let i = 0; i < n; i++) this.args[i] = args[i];
    c[FN] = this.index.get(name) ?? -1;
    c[NARGS] = n;
    c[LO] = lo;
    c[HI] = hi;
    c[SCRATCH_ARG] = scratchArg;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    const mine = lo + Math.round((hi - lo) / this.parts);
    let failure: unknown = null;
    try {
      if (mine > lo) self(lo, mine);
    } catch (e) {
      failure = e;
    }
    const workers = this.handles.length;
    for (let d = Atomics.load(c, DONE); d < workers; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    if (failure) throw failure;
    if (Atomics.load(c, ERROR)) {
      const m = this.msg, text = String.fromCharCode(...m.slice(1, 1 + Math.min(m[0], MSG_CHARS)));
      Atomics.store(c, ERROR, 0);
      throw new Error(`wasm worker pool: ${name} failed in a worker: ${text}`);
    }
  }

  terminate(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const h of this.handles) h.terminate();
  }
}
