import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BackendSelect } from '../components/BackendSelect.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { download } from '../download.ts';
import { modelLabel, stepsLabel } from '../labels.ts';
import { fileText, MODEL_FILE_ACCEPT, progressText, runtimeText } from '../reducers/sample.ts';
import { keyOf, useSample } from '../sampleStore.ts';
import { Compare } from '../visualizer/Compare.tsx';
import { keepInExport } from '../visualizer/exportFilter.ts';
import { FlipTimeline } from '../visualizer/FlipTimeline.tsx';
import { FrameText } from '../visualizer/FrameText.tsx';
import { Heatmap } from '../visualizer/Heatmap.tsx';
import { PositionChart } from '../visualizer/PositionChart.tsx';
import { Scrubber } from '../visualizer/Scrubber.tsx';
import { Superposition } from '../visualizer/Superposition.tsx';
import { TopkMass } from '../visualizer/TopkMass.tsx';

/** Reading the model being opened: a `.ckpt`'s weights, a file, a download, the tokenizer. */
function LoadProgressBar() {
  const { status, progress } = useSample(useShallow((s) => ({ status: s.status, progress: s.progress })));
  if (status !== 'loading') return null;
  return (
    <div className="row" data-testid="sample-loading" data-loaded={progress?.loaded ?? ''} data-total={progress?.total ?? ''}>
      <progress max={progress?.total || 1} value={progress?.total ? progress.loaded : undefined} />
      <span className="status">{progress ? progressText(progress) : 'Loading the model…'}</span>
    </div>
  );
}

/** The opened model's tokenizer (the checkpoint's, GPT-2 built offline, the model hub's, a tokenizer.json, none), and keeping or saving an opened file. */
function ModelFile() {
  const { model, busy } = useSample(useShallow((s) => ({ model: s.model, busy: s.status === 'sampling' || s.status === 'loading' || s.comparing })));
  const { setTokenizer, keep, saveFile } = useSample(useShallow((s) => ({ setTokenizer: s.setTokenizer, keep: s.keep, saveFile: s.saveFile })));
  const [hub, setHub] = useState('');
  if (!model) return null;
  const named = model.tokenizerNamed;
  return (
    <>
      {model.file && <p className="stats" data-testid="model-file-info" data-format={model.file.format} data-read-ms={Math.round(model.file.readMs)}>{fileText(model.file)}</p>}
      {model.tokenizerNote && <p className="notice" role="status" data-testid="tokenizer-note">Tokenizer: {model.tokenizerNote}{model.tokenizerOrigin === 'none' ? ' — samples show token ids ⟨id⟩.' : ''}</p>}
      <details className="tokenizer" open={!!named || undefined}>
        <summary>Tokenizer: <span data-testid="tokenizer-label" data-origin={model.tokenizerOrigin ?? ''}>{model.tokenizer}</span></summary>
        <fieldset className="row" disabled={busy}>
          <button type="button" data-testid="tokenizer-gpt2" onClick={() => void setTokenizer({ kind: 'name', name: 'gpt2' })}>GPT-2 (built offline)</button>
          <label>From the model hub{' '}
            <input data-testid="tokenizer-hub-name" placeholder={named ?? 'bert-base-uncased'} value={hub} onChange={(e) => setHub(e.target.value)} />
          </label>
          <button type="button" data-testid="tokenizer-hub" disabled={!(hub.trim() || named)} onClick={() => void setTokenizer({ kind: 'name', name: hub.trim() || named! })}>Fetch</button>
          <label className="file">tokenizer.json…{' '}
            <input type="file" data-testid="tokenizer-file" accept=".json,application/json"
              onChange={(e) => { const f = e.target.files?.[0]; if (f) void setTokenizer({ kind: 'file-pick', file: f }); e.target.value = ''; }} />
          </label>
          <button type="button" data-testid="tokenizer-none" onClick={() => void setTokenizer({ kind: 'none' })}>Token ids</button>
          <button type="button" data-testid="tokenizer-own" onClick={() => void setTokenizer({ kind: 'checkpoint' })}>The checkpoint's</button>
        </fieldset>
      </details>
      {model.file && (
        <div className="row">
          <button type="button" data-testid="keep-model" disabled={busy} onClick={() => void keep()}>Keep in this browser</button>
          <button type="button" data-testid="save-model" disabled={busy} onClick={() => void saveFile()}>Save as .safetensors (to host for a share link)</button>
        </div>
      )}
    </>
  );
}

function Controls() {
  const { model, settings, status, models, modelKey, backend, runtime, recordedRuntime, comparing, run, message, notice, warmingUp, warmUpMs } = useSample(useShallow((s) => ({
    model: s.model, settings: s.settings, status: s.status, models: s.models, modelKey: s.modelKey, backend: s.backend,
    runtime: s.runtime, recordedRuntime: s.recordedRuntime, comparing: s.comparing, run: s.run, message: s.message, notice: s.notice,
    warmingUp: s.warmingUp, warmUpMs: s.warmUpMs,
  })));
  const { load, setBackend, setRuntime, setSettings, generate, loseDevice } = useSample(useShallow((s) => ({
    load: s.load, setBackend: s.setBackend, setRuntime: s.setRuntime, setSettings: s.setSettings, generate: s.generate, loseDevice: s.loseDevice,
  })));
  const busy = status === 'sampling' || status === 'loading' || comparing;
  return (
    <fieldset className="group" disabled={busy}>
      <legend>Model and settings</legend>
      <div className="row">
        <label>Model{' '}
          <select data-testid="model" value={modelKey ?? ''} onChange={(e) => void load(e.target.value)}>
            {!models.some((m) => keyOf(m.source) === modelKey) && <option value={modelKey ?? ''}>{model?.name ?? '—'}</option>}
            {models.map((m) => <option key={keyOf(m.source)} value={keyOf(m.source)}>{modelLabel(m.name, m.detail)}</option>)}
          </select>
        </label>
        <label className="file">Open a checkpoint (.safetensors, or an official .ckpt)…{' '}
          <input type="file" data-testid="model-file" accept={MODEL_FILE_ACCEPT} onChange={(e) => { const f = e.target.files?.[0]; if (f) void load('', f); e.target.value = ''; }} />
        </label>
        <label>Backend{' '}
          <BackendSelect testid="sample-backend" value={backend} onChange={(b) => void setBackend(b)} />
        </label>
        <label title="onnxruntime-web runs the model's ONNX export (the network only); the noise, softmax and updates stay the studio's, on its CPU backend (docs/onnx.md)">Network on{' '}
          <select data-testid="sample-runtime" value={runtime} onChange={(e) => setRuntime(e.target.value === 'onnx' ? 'onnx' : 'studio')}>
            <option value="studio">the studio (this backend)</option><option value="onnx">onnxruntime-web (ONNX export)</option>
          </select>
        </label>
      </div>
      {model && (
        <p className="stats" data-testid="model-info" data-length={model.length} data-vocab={model.vocab}>
          {model.name}: step {model.step}, {model.params.toLocaleString()} parameters, L {model.length}, vocab {model.vocab} ({model.tokenizer}),
          {model.usesEma ? ' EMA weights' : ' raw weights (no EMA stored)'}; <span data-testid="sampler-kind">{model.sampler}</span>
          {model.teacher && <> (distilled from {model.teacher})</>}; {model.backend}
        </p>
      )}
      <LoadProgressBar />
      <ModelFile />
      <div className="row">
        {/* Only valid numbers reach the settings (NumberField): a cleared box says why at once and the setting keeps its last good value. */}
        <NumberField label={`${stepsLabel(model)} `} testid="sample-steps" value={settings.steps}
          rule={{ name: stepsLabel(model), integer: true, min: 1, max: 1024 }} onValue={(steps) => setSettings({ steps })} />
        <NumberField label="Seed " testid="seed" value={settings.seed}
          rule={{ name: 'Seed', integer: true, min: 0, max: 2 ** 32 - 1 }} onValue={(seed) => setSettings({ seed })} />
        <button type="button" data-testid="random-seed" title="pick a random seed" onClick={() => setSettings({ seed: Math.floor(Math.random() * 2 ** 31) })}>Random seed</button>
        <NumberField label="Samples " testid="count" value={settings.count}
          rule={{ name: 'Samples', integer: true, min: 1, max: 64 }} onValue={(count) => setSettings({ count })} />
        <NumberField label="Top-k " testid="topk" value={settings.k}
          rule={{ name: 'Top-k', integer: true, min: 1, max: model?.vocab ?? 64 }} onValue={(k) => setSettings({ k })} />
        <button type="button" data-testid="generate" disabled={!model || busy} onClick={() => void generate()}>Generate</button>
        <span className="status" data-testid="sample-status">{status}</span>
        {warmingUp && <span className="status" data-testid="sample-warming-up">warming up (compiling for these settings)…</span>}
      </div>
      {run && (
        <p className="stats" data-testid="sample-latency" data-ms-per-step={run.msPerStep} data-warm-up-ms={warmUpMs ?? ''}>
          {run.count} × {model?.length} tokens, {run.steps} steps: {run.msTotal.toFixed(0)} ms ({run.msPerStep.toFixed(1)} ms/step,{' '}
          {(run.msTotal / run.count).toFixed(0)} ms/sample, including frame summaries)
          {warmUpMs !== null && <>; before it, a one-step warm-up compiled for these settings in {warmUpMs.toFixed(0)} ms (not counted)</>}
        </p>
      )}
      {run && (
        <p className="stats" data-testid="sample-runtime-info" data-runtime={recordedRuntime ?? ''} data-ms={run.msTotal.toFixed(1)}>
          Sampled with {runtimeText(run)}
        </p>
      )}
      {message && <p className="error" role="alert" data-testid="sample-error">{message}</p>}
      {notice && <p className="notice" role="status" data-testid="sample-notice">{notice}</p>}
      <details className="faults">
        <summary>Fault injection (see how the studio recovers)</summary>
        <button type="button" data-testid="sample-fault-device-loss" disabled={!model} onClick={() => void loseDevice()}>Lose the GPU device</button>
      </details>
    </fieldset>
  );
}

/** Export buttons: the trajectory as JSON (serialised by the sampling worker) and the visualizer as a PNG. */
function Exports({ view }: { view: React.RefObject<HTMLDivElement | null> }) {
  const { done, seed, steps, frame, trajectory } = useSample(useShallow((s) => ({
    done: s.status === 'done', seed: s.recorded?.seed ?? 0, steps: s.recorded?.steps ?? 0, frame: s.frame, trajectory: s.trajectory,
  })));
  const [error, setError] = useState<string | null>(null);
  const exportJson = async () => {
    try {
      setError(null);
      const json = await trajectory();
      if (json !== null) download(`trajectory-seed${seed}-N${steps}.json`, json);
    } catch (e) {
      setError(`JSON export failed: ${(e as Error).message}`);
    }
  };
  const exportPng = async () => {
    try {
      setError(null);
      const { toPng } = await import('html-to-image');
      // The figures and their captions only: the export leaves out the buttons, menus and fields.
      const url = await toPng(view.current!, { backgroundColor: '#ffffff', pixelRatio: 1, filter: keepInExport });
      download(`denoising-seed${seed}-N${steps}-frame${frame}.png`, await (await fetch(url)).blob());
    } catch (e) {
      setError(`PNG export failed: ${(e as Error).message}`);
    }
  };
  return (
    <div className="row">
      <button type="button" data-testid="export-json" disabled={!done} onClick={() => void exportJson()}>Export trajectory (JSON)</button>
      <button type="button" data-testid="export-png" onClick={() => void exportPng()}>Export view (PNG)</button>
      {error && <span className="error">{error}</span>}
    </div>
  );
}

function Modes({ count }: { count: number }) {
  const { sample, cellMode, heatMode } = useSample(useShallow((s) => ({ sample: s.sample, cellMode: s.cellMode, heatMode: s.heatMode })));
  const { setSample, setCellMode, setHeatMode } = useSample(useShallow((s) => ({ setSample: s.setSample, setCellMode: s.setCellMode, setHeatMode: s.setHeatMode })));
  return (
    <div className="row">
      <label>Sample{' '}
        <select data-testid="sample-index" value={sample} onChange={(e) => setSample(Number(e.target.value))}>
          {Array.from({ length: count }, (_, i) => <option key={i} value={i}>{i}</option>)}
        </select>
      </label>
      <label>Cells show{' '}
        <select data-testid="cell-mode" value={cellMode} onChange={(e) => setCellMode(e.target.value === 'state' ? 'state' : 'prediction')}>
          <option value="prediction">prediction softmax(DiT(z_t, t))</option>
          <option value="state">state z_t</option>
        </select>
      </label>
      <label>Heatmap{' '}
        <select data-testid="heat-mode" value={heatMode} onChange={(e) => setHeatMode(e.target.value === 'final' ? 'final' : 'entropy')}>
          <option value="entropy">entropy</option>
          <option value="final">probability of the final token</option>
        </select>
      </label>
    </div>
  );
}

function Visualizer() {
  const { model, frames, sample, position, count, k, cellMode } = useSample(useShallow((s) => ({
    model: s.model, frames: s.frames, sample: s.sample, position: s.position, count: s.recorded?.count ?? 0, k: s.frames[0]?.k ?? 0, cellMode: s.cellMode,
  })));
  const view = useRef<HTMLDivElement>(null);
  if (!model || !frames.length || !count) return null;
  const L = model.length;
  return (
    <>
      <Exports view={view} />
      <div ref={view} className="visualizer" data-testid="visualizer">
        <Scrubber />
        <Modes count={count} />
        <h3>Text at this frame (argmax of z_t; changed positions highlighted; · space, ↵ line break)</h3>
        <FrameText pieces={model.pieces} length={L} />
        <h3>Superposition: each position's top-{k} candidates (shade ∝ {cellMode === 'prediction' ? '√p' : 'z_t / max z_t'}; click one for its chart)</h3>
        <Superposition pieces={model.pieces} length={L} />
        {position !== null && <PositionChart key={`${sample}:${position}`} frames={frames} row={sample * L + position} pieces={model.pieces} position={position} />}
        <Heatmap length={L} vocab={model.vocab} />
        <FlipTimeline pieces={model.pieces} length={L} />
        <TopkMass length={L} />
      </div>
    </>
  );
}

/** Drop a model file anywhere on the view: a `.ckpt` or a `.safetensors`. */
function useDropModel() {
  const load = useSample((s) => s.load);
  const busy = useSample((s) => s.status === 'sampling' || s.status === 'loading' || s.comparing);
  const [over, setOver] = useState(false);
  return {
    over,
    props: {
      onDragOver: (e: React.DragEvent) => { if ([...e.dataTransfer.types].includes('Files')) { e.preventDefault(); setOver(true); } },
      onDragLeave: () => setOver(false),
      onDrop: (e: React.DragEvent) => {
        const f = e.dataTransfer.files?.[0];
        setOver(false);
        if (!f) return;
        e.preventDefault();
        if (!busy) void load('', f);
      },
    },
  };
}

export function SampleView() {
  const refresh = useSample((s) => s.refreshModels);
  useEffect(() => { void refresh(); }, [refresh]);
  const drop = useDropModel();
  return (
    <section className={`panel${drop.over ? ' dropping' : ''}`} data-testid="sample-view" {...drop.props}>
      <h2>Sample: watch text emerge from noise</h2>
      <p>
        Sampling with the model's EMA weights (an FLM with N Euler steps, a distilled FMLM with its one-network flow map,
        one step = one network evaluation): every position starts as Gaussian noise over the vocabulary and moves towards a
        one-hot vector; in between it is a superposition of candidate tokens.
      </p>
      <p className="drop">Drop a checkpoint here: an official PyTorch Lightning <code>.ckpt</code> (the paper's FLM or FMLM) or a studio <code>.safetensors</code>.</p>
      <Controls />
      <Visualizer />
      <Compare />
    </section>
  );
}
