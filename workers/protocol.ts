/**
 * The one place that declares what crosses the worker boundary (comlink).
 * The UI imports only these types and the worker constructors.
 */
import type { AdapterSummary } from '../src/engine/webgpu/device.ts';
import type { DitParityResult } from '../src/model/parity.ts';

export type BackendChoice = 'webgpu' | 'cpu';

export interface EngineInfo {
  backend: BackendChoice;
  description: string;
  adapter: AdapterSummary | null;
  /** Why WebGPU is not in use, when the CPU backend took over. */
  fallbackReason: string | null;
}

export interface SelfTestResult extends DitParityResult {
  backend: BackendChoice;
  tolerances: { logits: number; loss: number; grads: number };
  pass: boolean;
}

export interface EngineApi {
  /** Start the engine (WebGPU if possible, else the CPU reference). */
  init(prefer: BackendChoice): Promise<EngineInfo>;
  /** Run a golden DiT fixture forward and backward; compare with the official numbers. */
  selfTest(fixture: ArrayBuffer, name: string): Promise<SelfTestResult>;
}

/** A structured error that survives postMessage. */
export interface WorkerErrorInfo { name: string; code: string; message: string }
