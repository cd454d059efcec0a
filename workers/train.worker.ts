/// <reference lib="webworker" />
/**
 * The training worker: a comlink adapter over src/run. One run at a time
 * (RunSlot); workers/runs.ts turns the UI's requests into runs; their events
 * (each with its run id) stream to the UI. Stored checkpoints are served by
 * the checkpoints worker.
 */
import { PRESETS, parameterCount, trainingMemoryBytes } from '../src/train/presets.ts';
import { RunSlot } from '../src/run/loop.ts';
import { destroyDevice } from './backends.ts';
import { exposeApi } from './expose.ts';
import { modelConfig, StudioRuns } from './runs.ts';
import { WorkerError, type TrainApi } from './protocol.ts';

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
    if (kind === 'nan-weights') t.backend.write(t.params, new Float32Array(t.params.size).fill(NaN));
    else destroyDevice(t.backend);
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
