import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { BackendChoice, EngineInfo, SelfTestResult } from '../../workers/protocol.ts';
import { engine } from './workers.ts';

type Status = 'idle' | 'running' | 'done' | 'error';

interface EngineState {
  info: EngineInfo | null;
  startError: string | null;
  selfTest: { status: Status; result: SelfTestResult | null; error: string | null };
  start(prefer?: BackendChoice): Promise<void>;
  runSelfTest(): Promise<void>;
}

export const SELFTEST_FIXTURE = 'dit_flm.safetensors';

export const useEngine = create<EngineState>((set, get) => ({
  info: null,
  startError: null,
  selfTest: { status: 'idle', result: null, error: null },
  async start(prefer = 'webgpu') {
    try {
      set({ info: await engine().init(prefer), startError: null });
    } catch (e) {
      set({ startError: (e as Error).message });
    }
  },
  async runSelfTest() {
    if (!get().info) await get().start();
    set({ selfTest: { status: 'running', result: null, error: null } });
    try {
      const res = await fetch(`${import.meta.env.BASE_URL}selftest/${SELFTEST_FIXTURE}`);
      if (!res.ok) throw new Error(`could not load the fixture (${res.status} ${res.statusText})`);
      const bytes = await res.arrayBuffer();
      const result = await engine().selfTest(Comlink.transfer(bytes, [bytes]), SELFTEST_FIXTURE);
      set({ selfTest: { status: 'done', result, error: null } });
    } catch (e) {
      set({ selfTest: { status: 'error', result: null, error: (e as Error).message } });
    }
  },
}));

