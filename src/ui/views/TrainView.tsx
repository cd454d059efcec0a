import { useEffect, useState } from 'react';
import { PRESETS, parameterCount, presetConfig, trainingMemoryBytes, type PresetName } from '../../train/presets.ts';
import { fmtLoss, fmtTime, visibleWhitespace } from '../../util/format.ts';
import { download } from '../download.ts';
import { useTrain } from '../trainStore.ts';
import { LossChart } from './LossChart.tsx';

const MB = (b: number) => `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0)} MB`;
/** Vocabulary used for the size estimate before the corpus is tokenized (characters of English text). */
const EST_VOCAB = 96;

function CorpusPicker() {
  const { corpusLabel, setCorpus, status } = useTrain();
  const [paste, setPaste] = useState('');
  const [url, setUrl] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const busy = status === 'training' || status === 'starting' || status === 'pausing';
  const useBytes = (name: string, bytes: ArrayBuffer) => { setErr(null); setCorpus({ kind: 'bytes', name, bytes }, name); };
  const onFile = async (f: File | undefined) => { if (f) useBytes(f.name, await f.arrayBuffer()); };
  const fromUrl = async () => {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      useBytes(url, await res.arrayBuffer());
    } catch (e) {
      setErr(`Could not load ${url}: ${(e as Error).message}`);
    }
  };
  return (
    <fieldset disabled={busy} className="group">
      <legend>Corpus</legend>
      <p>Training text: <strong data-testid="corpus-label">{corpusLabel}</strong></p>
      <div className="row">
        <button type="button" onClick={() => setCorpus({ kind: 'bundled', id: 'brown' }, 'Brown corpus (bundled)')}>Use the bundled Brown corpus</button>
        <label className="file">Open a text file… <input type="file" accept=".txt,text/plain" onChange={(e) => void onFile(e.target.files?.[0])} /></label>
      </div>
      <div className="drop" onDragOver={(e) => e.preventDefault()} onDrop={(e) => { e.preventDefault(); void onFile(e.dataTransfer.files[0]); }}>
        or drop a text file here
      </div>
      <div className="row">
        <textarea placeholder="…or paste text" value={paste} onChange={(e) => setPaste(e.target.value)} rows={3} />
        <button type="button" disabled={!paste} onClick={() => useBytes('pasted text', new TextEncoder().encode(paste).buffer as ArrayBuffer)}>Use pasted text</button>
      </div>
      <div className="row">
        <input type="url" placeholder="https://…/text.txt" value={url} onChange={(e) => setUrl(e.target.value)} />
        <button type="button" disabled={!url} onClick={() => void fromUrl()}>Load URL</button>
      </div>
      {err && <p className="error" role="alert">{err}</p>}
    </fieldset>
  );
}

function ModelPicker() {
  const { model, setModel, steps, setSteps, status, backend, setBackend, tokenizer, setTokenizer } = useTrain();
  const busy = status === 'training' || status === 'starting' || status === 'pausing';
  const base = model.preset === 'custom' ? presetConfig('micro', EST_VOCAB) : presetConfig(model.preset, EST_VOCAB);
  const cfg = { ...base, ...(model.preset === 'custom' ? model.config : {}) };
  const batch = model.train?.batch ?? PRESETS[model.preset === 'custom' ? 'micro' : model.preset].batch;
  const num = (k: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) return;
    if (['lr', 'warmup', 'batch', 'emaDecay', 'dropout'].includes(k)) setModel({ ...model, train: { ...model.train, [k]: n } });
    else setModel({ ...model, config: { ...model.config, [k]: n } });
  };
  return (
    <fieldset disabled={busy} className="group">
      <legend>Model</legend>
      <label>Preset{' '}
        <select data-testid="preset" value={model.preset} onChange={(e) => setModel({ preset: e.target.value as PresetName | 'custom' })}>
          {Object.values(PRESETS).map((p) => <option key={p.name} value={p.name}>{p.name} — {p.description}</option>)}
          <option value="custom">custom</option>
        </select>
      </label>
      <p data-testid="model-size">
        ≈ {parameterCount(cfg).toLocaleString()} parameters, ≈ {MB(trainingMemoryBytes(cfg, batch))} of GPU memory to train
        (L {cfg.length}, D {cfg.hidden}, {cfg.heads} heads, {cfg.blocks} blocks, batch {batch}; exact once the corpus vocabulary is known)
      </p>
      {model.preset === 'custom' && (
        <div className="grid">
          {(['length', 'hidden', 'blocks', 'heads', 'cond'] as const).map((k) => (
            <label key={k}>{k} <input type="number" min={1} defaultValue={cfg[k]} onChange={(e) => num(k, e.target.value)} /></label>
          ))}
          <label>batch <input type="number" min={1} defaultValue={batch} onChange={(e) => num('batch', e.target.value)} /></label>
          <label>learning rate <input type="number" step="any" defaultValue={PRESETS.micro.train.lr} onChange={(e) => num('lr', e.target.value)} /></label>
          <label>warm-up <input type="number" min={0} defaultValue={PRESETS.micro.train.warmup} onChange={(e) => num('warmup', e.target.value)} /></label>
          <label>EMA decay <input type="number" step="any" defaultValue={PRESETS.micro.train.emaDecay} onChange={(e) => num('emaDecay', e.target.value)} /></label>
          <label>dropout <input type="number" step="any" min={0} max={0.9} defaultValue={0} onChange={(e) => num('dropout', e.target.value)} /></label>
        </div>
      )}
      <label>Tokenizer{' '}
        <select data-testid="tokenizer" value={tokenizer} onChange={(e) => setTokenizer(e.target.value as typeof tokenizer)}>
          <option value="char">characters of the corpus</option>
          <option value="bpe">byte-level BPE (512 tokens, bundled tokenizer.json)</option>
        </select>
      </label>{' '}
      <label>Backend{' '}
        <select data-testid="backend-choice" value={backend} onChange={(e) => setBackend(e.target.value as typeof backend)}>
          <option value="auto">auto (WebGPU if available, else CPU)</option>
          <option value="webgpu">WebGPU</option>
          <option value="cpu">CPU reference</option>
        </select>
      </label>{' '}
      <label>Steps <input data-testid="steps" type="number" min={1} value={steps} onChange={(e) => setSteps(Math.max(1, Number(e.target.value) || 1))} /></label>
    </fieldset>
  );
}

/**
 * A run's controls and progress (training and distillation share the
 * training worker): the view's start buttons, Pause, Continue, status,
 * messages, progress and figures, and the fault-injection buttons.
 */
export function RunProgress({ actions, valLabel = 'val CE', continueTo }: { actions: React.ReactNode; valLabel?: string; continueTo?: number }) {
  const { run, status, message, notice, pause, resume, steps, injectFault } = useTrain();
  const pct = run.steps ? (100 * run.step) / run.steps : 0;
  const training = status === 'training' || status === 'pausing';
  return (
    <div className="group">
      <div className="row">
        {actions}
        <button type="button" data-testid="pause" disabled={status !== 'training'} onClick={() => void pause()}>Pause</button>
        {run.checkpointId && (status === 'paused' || status === 'done') && (() => {
          const to = continueTo ?? Math.max(steps, run.step + 1);
          return <button type="button" data-testid="continue" onClick={() => void resume(run.checkpointId!, to)}>Continue to {to} steps</button>;
        })()}
        <span data-testid="status" className="status">{status}</span>
      </div>
      {message && <p className="error" role="alert" data-testid="train-error">{message}</p>}
      {notice && <p className="notice" role="status" data-testid="train-notice">{notice}</p>}
      <progress max={100} value={pct} data-testid="progress" />
      <p className="stats">
        step <strong data-testid="step">{run.step}</strong> / {run.steps}
        {run.loss !== null && <> · loss <strong data-testid="loss">{fmtLoss(run.loss)}</strong></>}
        {run.valCe !== null && <> · {valLabel} <span data-testid="val">{fmtLoss(run.valCe)}</span></>}
        {run.tokensPerS !== null && <> · {run.tokensPerS.toFixed(0)} tokens/s</>}
        {run.etaS !== null && training && <> · ETA {fmtTime(run.etaS)}</>}
        {run.params > 0 && <> · {run.params.toLocaleString()} parameters, vocab {run.vocab}, {MB(run.memoryBytes)} · {run.backend}</>}
      </p>
      <details className="faults">
        <summary>Fault injection (see how the studio recovers)</summary>
        <div className="row">
          <button type="button" data-testid="fault-device-loss" disabled={status !== 'training'} onClick={() => void injectFault('device-loss')}>
            Lose the GPU device
          </button>
          <button type="button" data-testid="fault-nan" disabled={status !== 'training'} onClick={() => void injectFault('nan-weights')}>
            Poison the weights with NaN
          </button>
        </div>
      </details>
    </div>
  );
}

function TrainProgress() {
  const { status, start } = useTrain();
  const training = status === 'training' || status === 'pausing';
  return <RunProgress actions={<button type="button" data-testid="train" disabled={training || status === 'starting'} onClick={() => void start()}>Train</button>} />;
}

const KIND_LABEL: Record<string, string> = { flm: 'FLM', flowmap: 'flow map (stage 1)', fmlm: 'FMLM (stage 2)' };

export function Checkpoints() {
  const { checkpoints, refresh, rename, remove, exportFile, importFile, resume, status, steps } = useTrain();
  useEffect(() => { void refresh(); }, [refresh]);
  const busy = status === 'training' || status === 'starting' || status === 'pausing';
  const save = async (id: string) => {
    const { name, bytes } = await exportFile(id);
    download(name, new Blob([bytes], { type: 'application/octet-stream' }));
  };
  return (
    <div className="group">
      <h3>Checkpoints (stored in this browser)</h3>
      <table className="checkpoints" data-testid="checkpoints">
        <thead><tr><th>name</th><th>kind</th><th>step</th><th>size</th><th>saved</th><th /></tr></thead>
        <tbody>
          {checkpoints.map((c) => (
            <tr key={c.id} data-testid="checkpoint-row" data-step={c.step} data-kind={c.kind}>
              <td><input aria-label="name" defaultValue={c.name} onBlur={(e) => { if (e.target.value !== c.name) void rename(c.id, e.target.value); }} /></td>
              <td>{KIND_LABEL[c.kind] ?? c.kind}</td>
              <td>{c.step}</td>
              <td>{MB(c.bytes)}</td>
              <td>{new Date(c.updatedAt).toLocaleString()}</td>
              <td className="row">
                <button type="button" disabled={busy} data-testid="resume" onClick={() => void resume(c.id, Math.max(steps, c.step + 1))}>Resume</button>
                <button type="button" data-testid="export" onClick={() => void save(c.id)}>Export</button>
                {c.kind !== 'flowmap' && <a className="button" data-testid="open-sample" href={`?view=sample&model=${encodeURIComponent(`stored:${c.id}`)}`}>Sample</a>}
                <button type="button" disabled={busy} onClick={() => { if (confirm(`Delete "${c.name}"?`)) void remove(c.id); }}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="file">Import a .safetensors checkpoint… <input data-testid="import" type="file" accept=".safetensors" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importFile(f); e.target.value = ''; }} /></label>
    </div>
  );
}

/** The training view: corpus, model, progress, loss curve, sample preview and checkpoints. */
export function TrainView() {
  const { run } = useTrain();
  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Train an FLM</h2>
      <div className="columns">
        <CorpusPicker />
        <ModelPicker />
      </div>
      <TrainProgress />
      <LossChart history={run.history} unigram={run.unigramEntropy} />
      {run.sample && (
        <div className="group">
          <h3>Sample at step {run.sample.step} (8 Euler steps, EMA weights)</h3>
          <pre className="sample" data-testid="sample" title="spaces shown as ·, line breaks as ↵">{visibleWhitespace(run.sample.text)}</pre>
        </div>
      )}
      <Checkpoints />
    </section>
  );
}
