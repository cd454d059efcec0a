/// <reference lib="webworker" />
/** The engine worker: owns a backend (the shared choice of backends.ts); the UI talks to it through comlink. */
import type { Backend } from '../src/engine/backend.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { runDitParity, TOLERANCES } from '../src/parity/dit.ts';
import { backendFor } from './backends.ts';
import { exposeApi } from './expose.ts';
import { WorkerError, type EngineApi, type EngineInfo } from './protocol.ts';

let started: { backend: Backend; info: EngineInfo } | null = null;

const api: EngineApi = {
  async init(prefer) {
    if (started) return started.info;
    const { backend, fallbackReason } = await backendFor(prefer);
    const info: EngineInfo = {
      backend: backend.name, description: backend.description,
      adapter: backend instanceof GpuBackend ? backend.summary : null, fallbackReason,
    };
    started = { backend, info };
    return info;
  },

  async selfTest(fixture, name) {
    if (!started) throw new WorkerError('no-run', 'engine not started');
    const { backend, info } = started;
    const r = await runDitParity(backend, new Uint8Array(fixture), name);
    const tolerances = TOLERANCES[info.backend];
    const pass = r.max.logits <= tolerances.logits && r.max.loss <= tolerances.loss && r.max.grads <= tolerances.grads;
    return { ...r, backend: info.backend, tolerances, pass };
  },
};

exposeApi(api);
