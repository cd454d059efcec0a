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

export class GpuOutOfMemoryError extends GpuError {
  constructor(message: string) { super(message, 'gpu-out-of-memory'); }
}

/** The device was lost (driver reset, destroy(), tab in background for too long…). */
export class GpuDeviceLostError extends GpuError {
  constructor(message: string, readonly reason: string) { super(message, 'gpu-device-lost'); }
}
