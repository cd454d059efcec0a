/// <reference lib="webworker" />
/**
 * The training worker: a comlink adapter over src/run. One run at a time
 * (RunSlot); workers/runs.ts turns the UI's requests into runs; their events
 * (each with its run id) stream to the UI. Stored checkpoints are served by
 * the checkpoints worker.
 */
import * as Comlink from 'comlink';
import { decodeCheckpoint, defaultMeta, encodeCheckpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { defaultConfig } from '../src/model/config.ts';
import { paramLayout } from '../src/model/layout.ts';
import { PRESETS, parameterCount, trainingMemoryBytes } from '../src/train/presets.ts';
import { RunSlot } from '../src/run/loop.ts';
import { destroyDevice } from './backends.ts';
import { exposeApi } from './expose.ts';
import { modelConfig, StudioRuns } from './runs.ts';
import { WorkerError, type CheckpointTestApi, type SavePhase, type StoredState, type TrainApi, type TrainTestHooks } from './protocol.ts';

/** One run at a time, and the studio's runs of this tab (their store, the user's text). */
const slot = new RunSlot();
const runs = new StudioRuns();

const api: TrainApi = {
  start: (req, onEvent) => slot.launch(() => runs.start(req, onEvent), { saveFirst: true }),
  distill: (req, onEvent) => slot.launch(() => runs.distill(req, onEvent), { saveFirst: true }),
  resume: (req, onEvent) => slot.launch(() => runs.resume(req, onEvent)),

  async pause() {
    slot.pause();
  },

  async injectFault(kind) {
    const run = slot.live;
    if (!run?.alive) throw new WorkerError('no-run', 'no training session to inject a fault into');
    const t = run.trainer;
    const poison = () => t.backend.write(t.params, new Float32Array(t.params.size).fill(NaN));
    if (kind === 'nan-weights') poison();
    else if (kind === 'nan-weights-at-save') {
      const snapshot = t.snapshot.bind(t);
      t.snapshot = async (meta) => { poison(); t.snapshot = snapshot; return snapshot(meta); };
    } else destroyDevice(t.backend);
  },

  async presets() {
    return Object.values(PRESETS).map((p) => ({ name: p.name, description: p.description }));
  },

  async estimate(model, vocab) {
    const preset = model.preset === 'custom' ? 'micro' : model.preset;
    const config = modelConfig(model, vocab);
    const batch = model.train?.batch ?? PRESETS[preset].batch;
    return { config, batch, train: PRESETS[preset].train, params: parameterCount(config), memoryBytes: trainingMemoryBytes(config, batch) };
  },
};

exposeApi(api);

// ------------------------------------------------------------- test hooks (e2e only, through Playwright)

const store = new CheckpointStore();

/** A checkpoint of about `mb` MB (weights, EMA, both moments; every value set by `step`), encoded. */
function large(step: number, mb: number): Uint8Array {
  const config = defaultConfig({ vocab: 64, length: 32, hidden: 128, heads: 4, blocks: Math.max(1, Math.round(mb / 4.1)), cond: 64 });
  const flat = () => new Float32Array(paramLayout(config).total).fill(1 + step / 1000);
  return encodeCheckpoint({ config, meta: { ...defaultMeta(config), name: 'large', step }, params: flat(), ema: flat(), adamM: flat(), adamV: flat() });
}

async function storeState(): Promise<StoredState> {
  const orphans = await store.orphans();
  const checkpoints: StoredState['checkpoints'] = [];
  for (const c of await store.list()) {
    try {
      const k = decodeCheckpoint(await store.load(c.id));
      checkpoints.push({ ...c, step: k.meta.step, loads: true, finite: k.params.every(Number.isFinite) });
    } catch (e) {
      checkpoints.push({ ...c, loads: false, finite: false, error: String(e) });
    }
  }
  return { checkpoints, orphans };
}

/** A serial number per trainer (a recovery builds a new one). */
const serials = new WeakMap<object, number>();
let trainersSeen = 0;
const serial = (o: object): number => {
  if (!serials.has(o)) serials.set(o, ++trainersSeen);
  return serials.get(o)!;
};

const hooks: TrainTestHooks = {
  injectFault: (kind) => api.injectFault(kind),
  live: () => slot.live && { recoveries: slot.live.recoveries, trainer: serial(slot.live.trainer), step: slot.live.trainer.step, alive: slot.live.alive },
  storeState,
  saveLarge: (id, step, mb) => store.save(large(step, mb), { id, name: 'large', kind: 'flm', step }),
  async killDuringSave(id, step, mb, killAfterMs, from = 'sent') {
    const bytes = large(step, mb).buffer as ArrayBuffer;
    const w = new Worker(new URL('./checkpoints.worker.ts', import.meta.url), { type: 'module', name: 'checkpoints-killed' });
    const writer = Comlink.wrap<CheckpointTestApi>(w);
    await writer.ready();
    const { port1, port2 } = new MessageChannel();
    let phase: SavePhase = 'sent', finished = false, arm!: () => void;
    const armed = new Promise<void>((r) => { arm = r; if (from === 'sent') r(); });
    port1.onmessage = (e: MessageEvent<SavePhase>) => { phase = e.data; if (phase === from) arm(); };
    const t0 = performance.now();
    const saving = writer.saveRevision(id, Comlink.transfer(bytes, [bytes]), step, Comlink.transfer(port2, [port2])).then(() => { finished = true; }, () => undefined);
    await Promise.race([saving, armed.then(() => new Promise((r) => setTimeout(r, killAfterMs)))]);
    const at = phase;
    w.terminate();
    port1.close();
    return { finished, ms: performance.now() - t0, phase: at };
  },
};
(self as unknown as { __flmTest: TrainTestHooks }).__flmTest = hooks;
