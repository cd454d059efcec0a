/** Typed GPU failures: surfaced to the caller, never swallowed. */

export class GpuError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU here (no navigator.gpu, no adapter, or the device request failed). */
export class GpuUnavailableError extends GpuError {
  constructor(message: string) { super(message, 'gpu-unavailable'); }
}

/** A WebGPU validation error: a bug in a kernel or its use, with the driver's message. */
export class GpuValidationError extends GpuError {
  constructor(message: string) { super(message, 'gpu-validation'); }
}

/**
 * Buffer creation failed for lack of memory, or a buffer would exceed the
 * device's maxBufferSize (then `bytes` and `limit` say by how much).
 */
export class GpuOutOfMemoryError extends GpuError {
  constructor(message: string, readonly bytes?: number, readonly limit?: number) { super(message, 'gpu-out-of-memory'); }
}

/**
 * A kernel would bind more bytes than the device's maxStorageBufferBindingSize
 * and has no chunked path (the engine splits the vocabulary-sized ops; see
 * docs/engine.md, "Large models").
 */
export class GpuBindingLimitError extends GpuError {
  constructor(message: string, readonly bytes: number, readonly limit: number) { super(message, 'gpu-binding-limit'); }
}

/** The device was lost (driver reset, destroy(), tab in background for too long…). */
export class GpuDeviceLostError extends GpuError {
  constructor(message: string, readonly reason: string) { super(message, 'gpu-device-lost'); }
}

/** Bytes as people read them: 154 MB, 1.0 GiB for powers of two. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** What a model needs of the device and what the device offers, for the message of a ModelTooLargeError. */
export interface ModelMemoryPlan {
  /** Parameters of the model (padding excluded). */
  parameters: number;
  /** Bytes of its weights on the device (float32, or float16 where asked). */
  weightBytes: number;
  /** Bytes of everything sampling allocates besides the weights (for `count` sequences), when known. */
  workBytes?: number;
  count?: number;
  /** The device's limits (maxBufferSize, maxStorageBufferBindingSize…). */
  limits: Record<string, number>;
}

/**
 * A model (or a sampling batch) that does not fit this device: a buffer or a
 * binding the plan needs is above the device's limits, or buffer creation ran
 * out of memory. The message names the model's size and the device's limits.
 */
export class ModelTooLargeError extends GpuOutOfMemoryError {
  constructor(message: string, readonly plan: ModelMemoryPlan) {
    super(message, plan.weightBytes + (plan.workBytes ?? 0), plan.limits.maxBufferSize);
  }
}
