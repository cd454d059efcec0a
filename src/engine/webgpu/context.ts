/**
 * The WebGPU execution context: tensors on GPU buffers, a buffer pool, the
 * pipeline cache and dispatch recording. Kernel wrappers
 * (`src/engine/kernels/*.ts`) describe a kernel once with `KernelDef` and call
 * `ctx.dispatch(...)`; the context records the dispatch into the current
 * program (inside `compile`) or submits it at once.
 */
import type { DType, Program, Tensor } from '../backend.ts';
import { VIEW_ALIGN } from '../backend.ts';
import { GpuDeviceLostError, GpuOutOfMemoryError, GpuValidationError } from './errors.ts';

export type BindingKind = 'uniform' | 'read' | 'rw';

export interface KernelDef {
  /** Unique name, used in the pipeline cache key and in error messages. */
  name: string;
  /** WGSL source. */
  source: string;
  entry: string;
  /** Kinds of @group(0) @binding(i), in binding order. */
  bindings: BindingKind[];
}

export class GpuTensor implements Tensor {
  constructor(
    readonly buffer: GPUBuffer,
    /** Offset in elements (4-byte words) into `buffer`. */
    readonly offset: number,
    readonly size: number,
    readonly dtype: DType,
    readonly label: string,
    readonly root: boolean,
  ) {}
  binding(): GPUBufferBinding {
    return { buffer: this.buffer, offset: this.offset * 4, size: Math.max(this.size, 1) * 4 };
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
        ? new GpuOutOfMemoryError(msg) : new GpuValidationError(msg);
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
      buffer = this.device.createBuffer({ size: bytes, usage: STORAGE, label });
      this.createdBuffers++;
      this.createdBytes += bytes;
    }
    this.liveBuffers++;
    return new GpuTensor(buffer, 0, size, dtype, label, true);
  }

  view(t: GpuTensor, offset: number, size: number, label?: string): GpuTensor {
    if (offset % VIEW_ALIGN !== 0) throw new RangeError(`view offset ${offset} of ${t.label} is not a multiple of ${VIEW_ALIGN}`);
    if (offset < 0 || offset + size > t.size) throw new RangeError(`view [${offset}, ${offset + size}) outside ${t.label} of ${t.size}`);
    return new GpuTensor(t.buffer, t.offset + offset, size, t.dtype, label ?? `${t.label}[${offset}:]`, false);
  }

  release(t: GpuTensor): void {
    if (!t.root) return;
    const list = this.pool.get(t.buffer.size) ?? [];
    list.push(t.buffer);
    this.pool.set(t.buffer.size, list);
    this.liveBuffers--;
  }

  write(t: GpuTensor, data: Float32Array | Uint32Array, offset = 0): void {
    this.check();
    if (offset + data.length > t.size) throw new RangeError(`write of ${data.length} at ${offset} overflows ${t.label} (${t.size})`);
    this.device.queue.writeBuffer(t.buffer, (t.offset + offset) * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  async readBytes(t: GpuTensor): Promise<ArrayBuffer> {
    this.check();
    const bytes = Math.ceil((t.size * 4) / 4) * 4;
    const staging = this.device.createBuffer({ size: Math.max(bytes, 4), usage: MAP_READ_USAGE, label: `read ${t.label}` });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(t.buffer, t.offset * 4, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(0x1);
    } catch (e) {
      this.check();
      throw e;
    }
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    this.check();
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
    let module = this.modules.get(def.name);
    if (!module) {
      module = this.device.createShaderModule({ code: def.source, label: def.name });
      this.modules.set(def.name, module);
    }
    const layout = this.device.createBindGroupLayout({
      label: def.name,
      entries: def.bindings.map((kind, binding) => ({
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
   * Record (inside `compile`) or run one dispatch. `tensors` bind, in order,
   * to the def's non-uniform bindings; `uniforms` to its uniform binding.
   */
  dispatch(
    def: KernelDef,
    constants: Record<string, number>,
    tensors: Tensor[],
    uniformSource: UniformSource | null,
    workgroups: [number, number, number],
  ): void {
    this.check();
    const { pipeline, layout } = this.pipelineFor(def, constants);
    let ti = 0;
    let uniformBuffer: GPUBuffer | null = null;
    const uniforms = typeof uniformSource === 'function' ? uniformSource() : uniformSource;
    const entries: GPUBindGroupEntry[] = def.bindings.map((kind, binding) => {
      if (kind === 'uniform') {
        if (!uniforms) throw new Error(`${def.name}: uniforms missing`);
        uniformBuffer = this.device.createBuffer({ size: uniforms.byteLength, usage: UNIFORM_USAGE, label: `${def.name} uniforms` });
        this.device.queue.writeBuffer(uniformBuffer, 0, uniforms.buffer, uniforms.byteOffset, uniforms.byteLength);
        return { binding, resource: { buffer: uniformBuffer } };
      }
      const t = tensors[ti++] as GpuTensor;
      if (!(t instanceof GpuTensor)) throw new TypeError(`${def.name}: binding ${binding} is not a GPU tensor`);
      return { binding, resource: t.binding() };
    });
    if (ti !== tensors.length) throw new Error(`${def.name}: ${tensors.length} tensors for ${ti} bindings`);
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
        void this.device.queue.onSubmittedWorkDone().then(() => ub.destroy(), () => undefined);
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
      destroy: () => uniforms.forEach((b) => b.destroy()),
    };
  }
}
