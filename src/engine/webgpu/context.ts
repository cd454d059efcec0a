/**
 * The WebGPU execution context: tensors on GPU buffers, a buffer pool, the
 * pipeline cache and dispatch recording. Kernel wrappers
 * (`src/engine/kernels/*.ts`) describe a kernel once with `KernelDef` and call
 * `ctx.dispatch(...)`; the context records the dispatch into the current
 * program (inside `compile`) or submits it at once.
 */
import type { DType, Program, Tensor } from '../backend.ts';
import { VIEW_ALIGN } from '../backend.ts';
import { formatBytes, GpuBindingLimitError, GpuDeviceLostError, GpuOutOfMemoryError, GpuValidationError } from './errors.ts';
import { packHalves, unpackHalves } from './half.ts';

export type BindingKind = 'uniform' | 'read' | 'rw';

/** One `@group(0) @binding(i)` variable of a WGSL module: its name, index and kind. */
export interface KernelBinding {
  name: string;
  binding: number;
  kind: BindingKind;
}

/**
 * One entry point of a WGSL module and the bindings it uses, made by
 * `Shader.entry` (src/engine/kernels/kernel.ts) from the names it lists and
 * the declarations in the source.
 */
export interface KernelDef {
  /** Unique name (the module's), used in the pipeline cache key and in error messages. */
  name: string;
  /** WGSL source. */
  source: string;
  entry: string;
  /** The bindings of the entry point: the module's uniform (if any), then its storage variables by name. */
  bindings: readonly KernelBinding[];
  /** Storage bindings that may hold a float16 tensor (GpuTensor.half): the matmul's weights operand. */
  half?: readonly string[];
}

/** WGSL without its comments: line comments, and block comments (which may nest); newlines are kept. */
export function stripWgslComments(src: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const two = src.slice(i, i + 2);
    if (two === '/*') { depth++; i++; out += ' '; continue; }
    if (depth > 0) {
      if (two === '*/') { depth--; i++; }
      else if (src[i] === '\n') out += '\n';
      continue;
    }
    if (two === '//') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    out += src[i];
  }
  return out;
}

/** Attributes before a WGSL declaration: `@name` or `@name(args)`, args with at most one level of parentheses. */
export const WGSL_ATTRIBUTES = String.raw`(?:@\s*\w+\s*(?:\((?:[^()]|\([^()]*\))*\))?\s*)*`;

/**
 * Throws unless `def.source` declares a compute entry point `def.entry`
 * (`@compute … fn <entry>(`). Checked when the entry's first pipeline is built.
 */
export function checkEntryPoint(def: KernelDef): void {
  const fns = [...stripWgslComments(def.source).matchAll(new RegExp(String.raw`(${WGSL_ATTRIBUTES})\bfn\s+([A-Za-z_]\w*)\s*\(`, 'g'))];
  const compute = fns.filter((m) => /@\s*compute\b/.test(m[1])).map((m) => m[2]);
  if (compute.includes(def.entry)) return;
  const plain = fns.some((m) => m[2] === def.entry);
  throw new Error(`${def.name}.wgsl has no compute entry point ${def.entry}` +
    `${plain ? ` (fn ${def.entry} is not marked @compute)` : ''}; its entry points are ${compute.join(', ') || '(none)'}`);
}

/**
 * Throws unless `tensors` names exactly the storage bindings of `def`: the
 * error names the missing and the unexpected names and lists the expected ones.
 */
export function checkTensorNames(def: KernelDef, tensors: Readonly<Record<string, unknown>>): void {
  const expected = def.bindings.filter((b) => b.kind !== 'uniform').map((b) => b.name);
  const missing = expected.filter((n) => tensors[n] === undefined);
  const extra = Object.keys(tensors).filter((n) => !expected.includes(n));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    ...(missing.length ? [`no tensor for ${missing.join(', ')}`] : []),
    ...(extra.length ? [`tensors for ${extra.join(', ')}, which it does not bind`] : []),
  ];
  throw new Error(`${def.name}.wgsl, entry point ${def.entry}: ${parts.join('; ')} (it binds ${expected.join(', ') || 'no tensors'})`);
}

/** Bytes of one storage binding or view alignment (the largest minStorageBufferOffsetAlignment the spec allows). */
export const BINDING_ALIGN_BYTES = 256;

export class GpuTensor implements Tensor {
  constructor(
    readonly buffer: GPUBuffer,
    /** Offset in elements (4-byte words; 2-byte halves for a `half` tensor) into `buffer`. */
    readonly offset: number,
    readonly size: number,
    readonly dtype: DType,
    readonly label: string,
    readonly root: boolean,
    /**
     * float16 storage: two values per 32-bit word (element 2i in the low
     * half). Only the matmul kernels read such tensors, as their B operand
     * (weights), widening each value to f32; see `GpuContext.pieced`.
     */
    readonly half = false,
  ) {}
  /** Bytes per element in the buffer. */
  get elementBytes(): number { return this.half ? 2 : 4; }
  get byteOffset(): number { return this.offset * this.elementBytes; }
  /** Bytes the tensor spans, rounded up to whole 32-bit words. */
  get byteLength(): number { return Math.ceil((this.size * this.elementBytes) / 4) * 4; }
  /** Elements a view offset must be a multiple of (256 bytes). */
  get viewAlign(): number { return BINDING_ALIGN_BYTES / this.elementBytes; }
  binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: this.byteOffset, size: Math.max(this.byteLength, 4) };
  }
}

/** One piece of a pieced tensor: a range of its elements, stored in one buffer (f32 or f16). */
export interface Piece {
  /** First element and number of elements (in the tensor's flat numbering). */
  offset: number;
  size: number;
  /** Store as float16 (matmul weights only). */
  half?: boolean;
}

/**
 * A large flat tensor (a model's weights) stored as separate pieces — one per
 * parameter — grouped into buffers of at most maxBufferSize, each piece in
 * float32 or float16. It cannot be bound as a whole: views of one piece (the
 * DiT's parameter views) are ordinary tensors, `write` and `read` convert.
 * Elements outside every piece (layout padding) are not stored: they read 0
 * and ignore writes.
 */
export class GpuPiecedTensor implements Tensor {
  readonly dtype = 'f32' as const;
  constructor(
    readonly size: number,
    readonly label: string,
    /** Sorted by offset, disjoint; `tensor` is the piece's storage (a view, `half` for f16). */
    readonly pieces: readonly (Piece & { tensor: GpuTensor })[],
    readonly buffers: readonly GPUBuffer[],
  ) {}
  /** Bytes on the device. */
  get bytes(): number { return this.buffers.reduce((a, b) => a + b.size, 0); }
  /** The piece holding [offset, offset + size), or null. */
  pieceOf(offset: number, size: number): (Piece & { tensor: GpuTensor }) | null {
    let lo = 0, hi = this.pieces.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, p = this.pieces[mid];
      if (offset < p.offset) hi = mid - 1;
      else if (offset >= p.offset + Math.max(p.size, 1)) lo = mid + 1;
      else return offset + size <= p.offset + p.size ? p : null;
    }
    return null;
  }
}

interface Recorded {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Uniforms that change between runs: re-evaluated and uploaded before each run. */
  dynamic?: { buffer: GPUBuffer; get: () => Uint8Array; last: Uint8Array };
}

/**
 * Uniform data for a dispatch: fixed bytes, or a function evaluated again at
 * every run of a compiled program (per-step values such as the learning rate
 * or a noise counter), so programs never need re-recording.
 */
export type UniformSource = Uint8Array | (() => Uint8Array);

// GPUBufferUsage flag values (the spec's constants, so this module needs no globals at load).
const STORAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x8; // UNIFORM | COPY_DST
const MAP_READ_USAGE = 0x1 | 0x8; // MAP_READ | COPY_DST

/** Pack a kernel's uniform struct: the u32 fields first, then the f32 fields. */
export function packUniforms(u32: number[], f32: number[] = []): Uint8Array {
  const n = u32.length + f32.length;
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(n / 4) * 16));
  const dv = new DataView(buf);
  u32.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  f32.forEach((v, i) => dv.setFloat32((u32.length + i) * 4, v, true));
  return new Uint8Array(buf);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const MAX_WORKGROUPS_PER_DIM = 65535;

/** Spread `groups` workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid(groups: number, maxPerDim = MAX_WORKGROUPS_PER_DIM): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * Per-adapter kernel choices. Real GPUs get the workgroup-memory tiled
 * kernels; CPU-emulated adapters (SwiftShader, lavapipe: `isFallbackAdapter`)
 * get barrier-free register-blocked variants, since a workgroup barrier there
 * costs more than the memory traffic it saves. Both variants are tested.
 */
export interface KernelTuning {
  matmul: 'tiled' | 'register';
  /** Row-wise kernels (LayerNorm, softmax, cross-entropy): lanes per row, or one thread per row. */
  rows: 'lanes' | 'thread';
}

export function defaultTuning(isFallbackAdapter: boolean): KernelTuning {
  return isFallbackAdapter ? { matmul: 'register', rows: 'thread' } : { matmul: 'tiled', rows: 'lanes' };
}

export class GpuContext {
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Tests: a lower binding limit than the device's (see setMaxBindingBytes in kernels/kernel.ts). */
  bindingLimitOverride: number | null = null;
  /** Tests: a lower buffer size limit than the device's maxBufferSize. */
  bufferLimitOverride: number | null = null;
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private recording: Recorded[] | null = null;
  private recordedUniforms: GPUBuffer[] | null = null;
  private lost: GpuDeviceLostError | null = null;
  private uncaptured: Error | null = null;
  /** Buffers currently handed out (tensors that were not released). */
  liveBuffers = 0;
  /** Storage buffers ever created on the device, and their bytes (pooled ones are reused, not created). */
  createdBuffers = 0;
  createdBytes = 0;
  /**
   * Device memory: bytes of every buffer that exists now (tensors, the pool
   * of released ones, uniforms, staging buffers of reads), and its peak.
   */
  allocatedBytes = 0;
  peakAllocatedBytes = 0;
  /** Bytes of the tensors handed out and not released (views count nothing), and its peak. */
  liveBytes = 0;
  peakLiveBytes = 0;
  /** Bytes copied back to the host by reads, in total. */
  readBackBytes = 0;
  pipelineCount = 0;
  onLost: ((e: GpuDeviceLostError) => void) | null = null;

  constructor(readonly device: GPUDevice, public tuning: KernelTuning = defaultTuning(false)) {
    device.lost.then((info) => {
      this.lost = new GpuDeviceLostError(`The GPU device was lost (${info.reason}): ${info.message}`, String(info.reason));
      this.onLost?.(this.lost);
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      const msg = err.message;
      // Keep the first error: later ones are usually its consequences.
      this.uncaptured ??= err.constructor.name === 'GPUOutOfMemoryError' || /out of memory/i.test(msg)
        ? new GpuOutOfMemoryError(`${msg} (${formatBytes(this.allocatedBytes)} of buffers were allocated on the device)`)
        : new GpuValidationError(msg);
    });
  }

  /** Throw the first error the device reported since the last check. */
  check(): void {
    if (this.lost) throw this.lost;
    if (this.uncaptured) {
      const e = this.uncaptured;
      this.uncaptured = null;
      throw e;
    }
  }

  get isLost(): boolean { return this.lost !== null; }

  // ----------------------------------------------------------------- limits

  /** The largest storage binding, in bytes (the device's maxStorageBufferBindingSize, or a test's lower one). */
  get maxBindingBytes(): number {
    const device = Number(this.device.limits.maxStorageBufferBindingSize);
    return this.bindingLimitOverride === null ? device : Math.min(device, this.bindingLimitOverride);
  }

  /** The largest buffer, in bytes (maxBufferSize). */
  get maxBufferBytes(): number {
    const device = Number(this.device.limits.maxBufferSize);
    return this.bufferLimitOverride === null ? device : Math.min(device, this.bufferLimitOverride);
  }

  /** Start measuring peaks again from what is allocated and live now. */
  resetPeaks(): void {
    this.peakAllocatedBytes = this.allocatedBytes;
    this.peakLiveBytes = this.liveBytes;
  }

  private createBuffer(bytes: number, usage: number, label: string): GPUBuffer {
    if (bytes > this.maxBufferBytes) {
      throw new GpuOutOfMemoryError(
        `${label} needs ${formatBytes(bytes)} in one buffer, above this device's maxBufferSize of ${formatBytes(this.maxBufferBytes)}`,
        bytes, this.maxBufferBytes);
    }
    const buffer = this.device.createBuffer({ size: bytes, usage, label });
    this.allocatedBytes += bytes;
    this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    return buffer;
  }

  private destroyBuffer(b: GPUBuffer): void {
    this.allocatedBytes -= b.size;
    b.destroy();
  }

  /** Destroy the pooled (released) buffers, giving their memory back to the device. */
  trimPool(): void {
    for (const list of this.pool.values()) for (const b of list.splice(0)) this.destroyBuffer(b);
    this.pool.clear();
  }

  // ---------------------------------------------------------------- tensors

  tensor(size: number, label: string, dtype: DType): GpuTensor {
    this.check();
    const bytes = Math.max(16, Math.ceil((size * 4) / 16) * 16);
    const free = this.pool.get(bytes);
    let buffer = free?.pop();
    if (buffer) {
      const enc = this.device.createCommandEncoder();
      enc.clearBuffer(buffer);
      this.device.queue.submit([enc.finish()]);
    } else {
      buffer = this.createBuffer(bytes, STORAGE, label);
      this.createdBuffers++;
      this.createdBytes += bytes;
    }
    this.liveBuffers++;
    this.liveBytes += bytes;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return new GpuTensor(buffer, 0, size, dtype, label, true);
  }

  /**
   * A flat tensor of `size` floats stored as `pieces` (see GpuPiecedTensor):
   * each piece starts on a 256-byte boundary, and consecutive pieces share a
   * buffer until it would pass maxBufferSize. Zero-filled.
   */
  pieced(size: number, pieces: readonly Piece[], label: string): GpuPiecedTensor {
    this.check();
    const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i];
      if (p.offset < 0 || p.size < 0 || p.offset + p.size > size) throw new RangeError(`piece [${p.offset}, ${p.offset + p.size}) outside ${label} of ${size}`);
      if (i > 0 && p.offset < sorted[i - 1].offset + sorted[i - 1].size) throw new RangeError(`pieces of ${label} overlap at ${p.offset}`);
    }
    const bytesOf = (p: Piece) => Math.max(4, Math.ceil((p.size * (p.half ? 2 : 4)) / 4) * 4);
    const align = (n: number) => Math.ceil(n / BINDING_ALIGN_BYTES) * BINDING_ALIGN_BYTES;
    // Group pieces into buffers (first fit in order) of at most maxBufferSize.
    const groups: { start: number; end: number; bytes: number }[] = [];
    const place: { group: number; byte: number }[] = [];
    for (let i = 0; i < sorted.length; i++) {
      const need = bytesOf(sorted[i]);
      const g = groups[groups.length - 1];
      if (g && align(g.bytes) + need <= this.maxBufferBytes) {
        place.push({ group: groups.length - 1, byte: align(g.bytes) });
        g.bytes = align(g.bytes) + need;
        g.end = i + 1;
      } else {
        if (need > this.maxBufferBytes) {
          throw new GpuOutOfMemoryError(
            `${label}: one piece of ${formatBytes(need)} is above this device's maxBufferSize of ${formatBytes(this.maxBufferBytes)}`,
            need, this.maxBufferBytes);
        }
        groups.push({ start: i, end: i + 1, bytes: need });
        place.push({ group: groups.length - 1, byte: 0 });
      }
    }
    const buffers: GPUBuffer[] = [];
    try {
      for (let g = 0; g < groups.length; g++) {
        buffers.push(this.createBuffer(Math.ceil(groups[g].bytes / 16) * 16, STORAGE, `${label} (buffer ${g + 1} of ${groups.length})`));
      }
    } catch (e) {
      buffers.forEach((b) => this.destroyBuffer(b));
      throw e;
    }
    const total = buffers.reduce((a, b) => a + b.size, 0);
    this.createdBuffers += buffers.length;
    this.createdBytes += total;
    this.liveBuffers += buffers.length;
    this.liveBytes += total;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    const out = sorted.map((p, i) => {
      const half = !!p.half;
      const t = new GpuTensor(buffers[place[i].group], place[i].byte / (half ? 2 : 4), p.size, 'f32', `${label}[${p.offset}:]`, false, half);
      return { ...p, half, tensor: t };
    });
    return new GpuPiecedTensor(size, label, out, buffers);
  }

  view(t: GpuTensor | GpuPiecedTensor, offset: number, size: number, label?: string): GpuTensor {
    if (t instanceof GpuPiecedTensor) {
      const p = t.pieceOf(offset, size);
      if (!p) throw new RangeError(`view [${offset}, ${offset + size}) of ${t.label} does not lie inside one of its pieces`);
      return this.view(p.tensor, offset - p.offset, size, label ?? `${t.label}[${offset}:]`);
    }
    const align = t.half ? t.viewAlign : VIEW_ALIGN;
    if (offset % align !== 0) throw new RangeError(`view offset ${offset} of ${t.label} is not a multiple of ${align}`);
    if (offset < 0 || offset + size > t.size) throw new RangeError(`view [${offset}, ${offset + size}) outside ${t.label} of ${t.size}`);
    return new GpuTensor(t.buffer, t.offset + offset, size, t.dtype, label ?? `${t.label}[${offset}:]`, false, t.half);
  }

  release(t: GpuTensor | GpuPiecedTensor): void {
    if (t instanceof GpuPiecedTensor) {
      // Pieced tensors are large and rare: their memory goes back to the device at once.
      for (const b of t.buffers) {
        this.liveBytes -= b.size;
        this.liveBuffers--;
        this.destroyBuffer(b);
      }
      return;
    }
    if (!t.root) return;
    const list = this.pool.get(t.buffer.size) ?? [];
    list.push(t.buffer);
    this.pool.set(t.buffer.size, list);
    this.liveBuffers--;
    this.liveBytes -= t.buffer.size;
  }

  write(t: GpuTensor | GpuPiecedTensor, data: Float32Array | Uint32Array, offset = 0): void {
    this.check();
    if (offset + data.length > t.size) throw new RangeError(`write of ${data.length} at ${offset} overflows ${t.label} (${t.size})`);
    if (t instanceof GpuPiecedTensor) {
      for (const p of t.pieces) {
        const lo = Math.max(offset, p.offset), hi = Math.min(offset + data.length, p.offset + p.size);
        if (lo < hi) this.write(p.tensor, data.subarray(lo - offset, hi - offset), lo - p.offset);
      }
      return;
    }
    if (t.half) {
      if (!(data instanceof Float32Array)) throw new TypeError(`${t.label} holds float16 values: write a Float32Array`);
      if (offset % 2 !== 0) throw new RangeError(`a write into float16 ${t.label} must start at an even element (got ${offset})`);
      // An odd tail pads the last word with 0: inside the tensor's own bytes (byteLength rounds up).
      const words = packHalves(data);
      this.device.queue.writeBuffer(t.buffer, t.byteOffset + offset * 2, words.buffer, 0, words.byteLength);
      return;
    }
    this.device.queue.writeBuffer(t.buffer, (t.offset + offset) * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** The tensor's values as f32 (or u32) bytes; float16 tensors and pieced ones are widened to f32. */
  async readBytes(t: GpuTensor | GpuPiecedTensor): Promise<ArrayBuffer> {
    this.check();
    if (t instanceof GpuPiecedTensor) {
      const out = new Float32Array(t.size);
      for (const p of t.pieces) out.set(new Float32Array(await this.readBytes(p.tensor), 0, p.size), p.offset);
      return out.buffer;
    }
    const bytes = t.byteLength;
    this.readBackBytes += bytes;
    const staging = this.createBuffer(Math.max(bytes, 4), MAP_READ_USAGE, `read ${t.label}`);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(0x1);
    } catch (e) {
      this.destroyBuffer(staging);
      this.check();
      throw e;
    }
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    this.destroyBuffer(staging);
    this.check();
    if (t.half) return unpackHalves(new Uint32Array(out), t.size).buffer as ArrayBuffer;
    return out;
  }

  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  // -------------------------------------------------------------- pipelines

  private pipelineFor(def: KernelDef, constants: Record<string, number>): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const key = `${def.name}|${def.entry}|${JSON.stringify(constants)}`;
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    checkEntryPoint(def);
    let module = this.modules.get(def.name);
    if (!module) {
      module = this.device.createShaderModule({ code: def.source, label: def.name });
      this.modules.set(def.name, module);
    }
    const layout = this.device.createBindGroupLayout({
      label: `${def.name}:${def.entry}`,
      entries: def.bindings.map(({ binding, kind }) => ({
        binding,
        visibility: 0x4, // COMPUTE
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' } as GPUBufferBindingLayout,
      })),
    });
    const pipeline = this.device.createComputePipeline({
      label: `${def.name}:${def.entry}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: def.entry, constants },
    });
    const entry = { pipeline, layout };
    this.pipelines.set(key, entry);
    this.pipelineCount++;
    return entry;
  }

  /**
   * Record (inside `compile`) or run one dispatch. `tensors` bind by WGSL
   * name to the def's storage bindings (exactly those: a missing or an
   * extra name is an error); `uniforms` to the module's uniform.
   */
  dispatch(
    def: KernelDef,
    constants: Record<string, number>,
    tensors: Readonly<Record<string, Tensor>>,
    uniformSource: UniformSource | null,
    workgroups: [number, number, number],
  ): void {
    this.check();
    checkTensorNames(def, tensors);
    const { pipeline, layout } = this.pipelineFor(def, constants);
    let uniformBuffer: GPUBuffer | null = null;
    const uniforms = typeof uniformSource === 'function' ? uniformSource() : uniformSource;
    const entries: GPUBindGroupEntry[] = def.bindings.map(({ name, binding, kind }) => {
      if (kind === 'uniform') {
        if (!uniforms) throw new Error(`${def.name}: uniforms missing`);
        uniformBuffer = this.createBuffer(uniforms.byteLength, UNIFORM_USAGE, `${def.name} uniforms`);
        this.device.queue.writeBuffer(uniformBuffer, 0, uniforms.buffer, uniforms.byteOffset, uniforms.byteLength);
        return { binding, resource: { buffer: uniformBuffer } };
      }
      const t = tensors[name] as GpuTensor;
      if (t instanceof GpuPiecedTensor) {
        throw new TypeError(`${def.entry}: ${(t as GpuPiecedTensor).label} is stored in pieces and cannot be bound whole; bind a view of one piece`);
      }
      if (!(t instanceof GpuTensor)) throw new TypeError(`${def.entry}: the tensor for binding ${name} is not a GPU tensor`);
      if (t.half && !(def.half ?? []).includes(name)) {
        throw new TypeError(`${def.entry}: ${t.label} holds float16 values; only the matmul kernels read float16 (as their weights operand)`);
      }
      if (t.byteLength > this.maxBindingBytes) {
        throw new GpuBindingLimitError(
          `${def.entry}: ${t.label} is ${formatBytes(t.byteLength)}, above this device's maxStorageBufferBindingSize of ${formatBytes(this.maxBindingBytes)}, ` +
          'and this operation has no chunked path', t.byteLength, this.maxBindingBytes);
      }
      return { binding, resource: t.binding() };
    });
    const bindGroup = this.device.createBindGroup({ layout, entries, label: def.name });
    const rec: Recorded = { pipeline, bindGroup, workgroups };
    if (typeof uniformSource === 'function' && uniformBuffer && uniforms) {
      rec.dynamic = { buffer: uniformBuffer, get: uniformSource, last: uniforms };
    }
    if (this.recording) {
      this.recording.push(rec);
      if (uniformBuffer) this.recordedUniforms!.push(uniformBuffer);
    } else {
      this.submit([rec]);
      if (uniformBuffer) {
        const ub: GPUBuffer = uniformBuffer;
        void this.device.queue.onSubmittedWorkDone().then(() => this.destroyBuffer(ub), () => undefined);
      }
    }
  }

  private submit(list: Recorded[]): void {
    for (const r of list) {
      if (!r.dynamic) continue;
      const now = r.dynamic.get();
      if (!sameBytes(now, r.dynamic.last)) {
        this.device.queue.writeBuffer(r.dynamic.buffer, 0, now.buffer, now.byteOffset, now.byteLength);
        r.dynamic.last = now;
      }
    }
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const r of list) {
      pass.setPipeline(r.pipeline);
      pass.setBindGroup(0, r.bindGroup);
      pass.dispatchWorkgroups(r.workgroups[0], r.workgroups[1], r.workgroups[2]);
    }
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Record every dispatch `fn` makes into a replayable program. */
  compile(fn: () => void): Program & { dispatches: number; destroy(): void } {
    if (this.recording) throw new Error('compile() cannot be nested');
    const list: Recorded[] = [];
    const uniforms: GPUBuffer[] = [];
    this.recording = list;
    this.recordedUniforms = uniforms;
    try {
      fn();
    } finally {
      this.recording = null;
      this.recordedUniforms = null;
    }
    return {
      dispatches: list.length,
      run: () => {
        this.check();
        this.submit(list);
      },
      destroy: () => uniforms.forEach((b) => this.destroyBuffer(b)),
    };
  }
}
