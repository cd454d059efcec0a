import { useEffect, useRef, useState } from 'react';
import { trajectoryJSON } from '../../sampling/trajectory.ts';
import { download } from '../download.ts';
import { keyOf, useSample } from '../sampleStore.ts';
import { Compare } from '../visualizer/Compare.tsx';
import { FrameText } from '../visualizer/FrameText.tsx';
import { Heatmap } from '../visualizer/Heatmap.tsx';
import { PositionChart } from '../visualizer/PositionChart.tsx';
import { Scrubber } from '../visualizer/Scrubber.tsx';
import { Superposition } from '../visualizer/Superposition.tsx';

function Controls() {
  const s = useSample();
  const { model, settings, status, models, modelKey } = s;
  const busy = status === 'sampling' || status === 'loading' || s.comparing;
  const num = (v: string) => (v === '' ? NaN : Number(v));
  return (
    <fieldset className="group" disabled={busy}>
      <legend>Model and settings</legend>
      <div className="row">
        <label>Model{' '}
          <select data-testid="model" value={modelKey ?? ''} onChange={(e) => void s.load(e.target.value)}>
            {!models.some((m) => keyOf(m.source) === modelKey) && <option value={modelKey ?? ''}>{model?.name ?? '—'}</option>}
            {models.map((m) => <option key={keyOf(m.source)} value={keyOf(m.source)}>{m.name} ({m.detail})</option>)}
          </select>
        </label>
        <label className="file">Open a checkpoint… <input type="file" data-testid="model-file" accept=".safetensors" onChange={(e) => { const f = e.target.files?.[0]; if (f) void s.load('', f); }} /></label>
        <label>Backend{' '}
          <select data-testid="sample-backend" value={s.backend} onChange={(e) => void s.setBackend(e.target.value as typeof s.backend)}>
            <option value="auto">auto</option><option value="webgpu">WebGPU</option><option value="cpu">CPU reference</option>
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
      <div className="row">
        <label>{model?.sampler.startsWith('FMLM') ? 'Steps' : 'Euler steps'} <input data-testid="sample-steps" type="number" min={1} max={1024} value={settings.steps} onChange={(e) => s.setSettings({ steps: num(e.target.value) })} /></label>
        <label>Seed <input data-testid="seed" type="number" min={0} value={settings.seed} onChange={(e) => s.setSettings({ seed: num(e.target.value) })} /></label>
        <button type="button" data-testid="random-seed" title="pick a random seed" onClick={() => s.setSettings({ seed: Math.floor(Math.random() * 2 ** 31) })}>Random seed</button>
        <label>Samples <input data-testid="count" type="number" min={1} max={64} value={settings.count} onChange={(e) => s.setSettings({ count: num(e.target.value) })} /></label>
        <label>Top-k <input data-testid="topk" type="number" min={1} max={model?.vocab ?? 64} value={settings.k} onChange={(e) => s.setSettings({ k: num(e.target.value) })} /></label>
        <button type="button" data-testid="generate" disabled={!model || busy} onClick={() => void s.generate()}>Generate</button>
        <span className="status" data-testid="sample-status">{status}</span>
      </div>
      {s.run && (
        <p className="stats" data-testid="sample-latency">
          {s.run.count} × {model?.length} tokens, {s.run.steps} steps: {s.run.msTotal.toFixed(0)} ms ({s.run.msPerStep.toFixed(1)} ms/step,{' '}
          {(s.run.msTotal / s.run.count).toFixed(0)} ms/sample, including frame summaries)
        </p>
      )}
      {s.message && <p className="error" role="alert" data-testid="sample-error">{s.message}</p>}
      <details className="faults">
        <summary>Fault injection (see how the studio recovers)</summary>
        <button type="button" data-testid="sample-fault-device-loss" disabled={!model} onClick={() => void s.loseDevice()}>Lose the GPU device</button>
      </details>
    </fieldset>
  );
}

function Visualizer() {
  const s = useSample();
  const { model, frames, frame, sample, position, recorded } = s;
  const view = useRef<HTMLDivElement>(null);
  const [pngError, setPngError] = useState<string | null>(null);
  if (!model || !frames.length || !recorded) return null;
  const L = model.length;
  const exportJson = () => {
    const json = trajectoryJSON({ model: model.name, backend: model.backend, length: L, vocab: model.vocab, ...recorded }, model.pieces, frames, s.run ?? undefined);
    download(`trajectory-seed${recorded.seed}-N${recorded.steps}.json`, JSON.stringify(json));
  };
  const exportPng = async () => {
    try {
      setPngError(null);
      const { toPng } = await import('html-to-image');
      const url = await toPng(view.current!, { backgroundColor: '#ffffff', pixelRatio: 1 });
      download(`denoising-seed${recorded.seed}-N${recorded.steps}-frame${frame}.png`, await (await fetch(url)).blob());
    } catch (e) {
      setPngError(`PNG export failed: ${(e as Error).message}`);
    }
  };
  return (
    <>
      <div className="row">
        <button type="button" data-testid="export-json" disabled={s.status !== 'done'} onClick={exportJson}>Export trajectory (JSON)</button>
        <button type="button" data-testid="export-png" onClick={() => void exportPng()}>Export view (PNG)</button>
        {pngError && <span className="error">{pngError}</span>}
      </div>
      <div ref={view} className="visualizer" data-testid="visualizer">
        <Scrubber />
        <div className="row">
          <label>Sample{' '}
            <select data-testid="sample-index" value={sample} onChange={(e) => s.setSample(Number(e.target.value))}>
              {Array.from({ length: recorded.count }, (_, i) => <option key={i} value={i}>{i}</option>)}
            </select>
          </label>
          <label>Cells show{' '}
            <select data-testid="cell-mode" value={s.cellMode} onChange={(e) => s.setCellMode(e.target.value as typeof s.cellMode)}>
              <option value="prediction">prediction softmax(DiT(z_t, t))</option>
              <option value="state">state z_t</option>
            </select>
          </label>
          <label>Heatmap{' '}
            <select data-testid="heat-mode" value={s.heatMode} onChange={(e) => s.setHeatMode(e.target.value as typeof s.heatMode)}>
              <option value="entropy">entropy</option>
              <option value="final">probability of the final token</option>
            </select>
          </label>
        </div>
        <h3>Text at this frame (argmax of z_t; changed positions highlighted; · space, ↵ line break)</h3>
        <FrameText pieces={model.pieces} length={L} />
        <h3>Superposition: each position's top-{frames[0].k} candidates (shade ∝ {s.cellMode === 'prediction' ? '√p' : 'z_t / max z_t'}; click one for its chart)</h3>
        <Superposition pieces={model.pieces} length={L} />
        {position !== null && <PositionChart key={`${sample}:${position}`} frames={frames} row={sample * L + position} pieces={model.pieces} position={position} />}
        <Heatmap length={L} vocab={model.vocab} />
      </div>
    </>
  );
}

export function SampleView() {
  const refresh = useSample((s) => s.refreshModels);
  useEffect(() => { void refresh(); }, [refresh]);
  return (
    <section className="panel">
      <h2>Sample: watch text emerge from noise</h2>
      <p>
        Sampling with the model's EMA weights (an FLM with N Euler steps, a distilled FMLM with its one-network flow map,
        one step = one network evaluation): every position starts as Gaussian noise over the vocabulary and moves towards a
        one-hot vector; in between it is a superposition of candidate tokens.
      </p>
      <Controls />
      <Visualizer />
      <Compare />
    </section>
  );
}
