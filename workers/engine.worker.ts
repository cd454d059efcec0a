/// <reference lib="webworker" />
/** The engine worker: owns the GPU device; the UI talks to it through comlink. */
import * as Comlink from 'comlink';
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { runDitParity, TOLERANCES } from '../src/parity/dit.ts';
import type { BackendChoice, EngineApi, EngineInfo, SelfTestResult } from './protocol.ts';

let backend: Backend | null = null;
let info: EngineInfo | null = null;

const api: EngineApi = {
  async init(prefer: BackendChoice): Promise<EngineInfo> {
    if (info) return info;
    if (prefer === 'webgpu') {
      try {
        const gpu = await GpuBackend.create();
        backend = gpu;
        info = { backend: 'webgpu', description: gpu.description, adapter: gpu.summary, fallbackReason: null };
        return info;
      } catch (e) {
        backend = new CpuBackend();
        info = { backend: 'cpu', description: backend.description, adapter: null, fallbackReason: (e as Error).message };
        return info;
      }
    }
    backend = new CpuBackend();
    info = { backend: 'cpu', description: backend.description, adapter: null, fallbackReason: null };
    return info;
  },

  async selfTest(fixture: ArrayBuffer, name: string): Promise<SelfTestResult> {
    if (!backend || !info) throw new Error('engine not started');
    const r = await runDitParity(backend, new Uint8Array(fixture), name);
    const tolerances = TOLERANCES[info.backend];
    const pass = r.max.logits <= tolerances.logits && r.max.loss <= tolerances.loss && r.max.grads <= tolerances.grads;
    return { ...r, backend: info.backend, tolerances, pass };
  },
};

Comlink.expose(api);
