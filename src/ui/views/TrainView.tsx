import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fmtMB, visibleWhitespace } from '../../util/format.ts';
import { BackendSelect } from '../components/BackendSelect.tsx';
import { Checkpoints } from '../components/Checkpoints.tsx';
import { LossChart } from '../components/LossChart.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { RunProgress } from '../components/RunProgress.tsx';
import { isBusy } from '../reducers/train.ts';
import { shownFor, type Tied } from '../messages.ts';
import { useTrain } from '../trainStore.ts';
import { Term } from '../components/Term.tsx';

function CorpusPicker() {
  const { corpusLabel, setCorpus, status } = useTrain(useShallow((s) => ({ corpusLabel: s.corpusLabel, setCorpus: s.setCorpus, status: s.status })));
  const [paste, setPaste] = useState('');
  const [url, setUrl] = useState('');
  // The error is about the URL that failed: editing it or choosing another corpus ends it.
  const [urlError, setErr] = useState<Tied<string> | null>(null);
  const err = shownFor(urlError, url);
  const useBytes = (name: string, bytes: ArrayBuffer) => { setErr(null); setCorpus({ kind: 'bytes', name, bytes }, name); };
  const onFile = async (f: File | undefined) => { if (f) useBytes(f.name, await f.arrayBuffer()); };
  const fromUrl = async () => {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      useBytes(url, await res.arrayBuffer());
    } catch (e) {
      setErr({ about: url, text: `Could not load ${url}: ${(e as Error).message}` });
    }
  };
  // Folded by default: the corpus is chosen once, the run's controls and chart are what the view is watched for.
  return (
    <details className="group corpus">
      <summary>Corpus: <span className="summary-value" data-testid="corpus-label">{corpusLabel}</span></summary>
      <fieldset disabled={isBusy(status)} className="bare">
        <div className="row">
          <button type="button" onClick={() => { setErr(null); setCorpus({ kind: 'bundled', id: 'brown' }, 'Brown corpus (bundled)'); }}>Use the Brown excerpt (1.5 MB)</button>
          <button type="button" data-testid="corpus-brown-full" onClick={() => { setErr(null); setCorpus({ kind: 'bundled', id: 'brown-full' }, 'whole Brown corpus (bundled)'); }}>
            Use the whole Brown corpus (5.7 MB, all fifteen genres)
          </button>
          <label className="file">Open a text file… <input type="file" accept=".txt,text/plain" onChange={(e) => void onFile(e.target.files?.[0])} /></label>
        </div>
        <div className="drop" onDragOver={(e) => e.preventDefault()} onDrop={(e) => { e.preventDefault(); void onFile(e.dataTransfer.files[0]); }}>
          or drop a text file here
        </div>
        <div className="row">
          <textarea placeholder="…or paste text" value={paste} onChange={(e) => setPaste(e.target.value)} rows={3} />
          <button type="button" className="secondary" disabled={!paste} onClick={() => useBytes('pasted text', new TextEncoder().encode(paste).buffer as ArrayBuffer)}>Use pasted text</button>
        </div>
        <div className="row">
          <input type="url" placeholder="https://…/text.txt" value={url} onChange={(e) => setUrl(e.target.value)} />
          <button type="button" className="secondary" disabled={!url} onClick={() => void fromUrl()}>Load URL</button>
        </div>
        {err && <p className="error" role="alert">{err}</p>}
      </fieldset>
    </details>
  );
}

/** Training fields of a custom model (the rest are the shape's). */
const TRAIN_FIELDS = new Set(['lr', 'warmup', 'batch', 'emaDecay', 'dropout']);

/** The model's size and training settings; the presets and the size estimate come from the training worker. */
function ModelBox() {
  const { model, steps, status, backend, tokenizer, presets, estimate } = useTrain(useShallow((s) => ({
    model: s.model, steps: s.steps, status: s.status, backend: s.backend, tokenizer: s.tokenizer, presets: s.presets, estimate: s.estimate,
  })));
  const { setModel, setSteps, setBackend, setTokenizer, loadPresets } = useTrain(useShallow((s) => ({
    setModel: s.setModel, setSteps: s.setSteps, setBackend: s.setBackend, setTokenizer: s.setTokenizer, loadPresets: s.loadPresets,
  })));
  useEffect(() => { void loadPresets(); }, [loadPresets]);
  // Only valid numbers reach here (NumberField): a blank hidden size is refused, not read as 0.
  const num = (k: string, n: number) => {
    if (TRAIN_FIELDS.has(k)) setModel({ ...model, train: { ...model.train, [k]: n } });
    else setModel({ ...model, config: { ...model.config, [k]: n } });
  };
  const choose = (v: string) => {
    const preset = v === 'custom' ? v : presets.find((p) => p.name === v)?.name;
    if (preset) setModel({ preset });
  };
  const cfg = estimate?.config;
  const listed = presets.some((p) => p.name === model.preset) || model.preset === 'custom';
  return (
    <fieldset disabled={isBusy(status)} className="group model-box">
      <legend>Model</legend>
      <label className="field"><span className="name">Preset</span>
        <select data-testid="preset" value={model.preset} onChange={(e) => choose(e.target.value)}>
          {!listed && <option value={model.preset}>{model.preset}</option>}
          {presets.map((p) => <option key={p.name} value={p.name}>{p.name} — {p.description}</option>)}
          <option value="custom">custom</option>
        </select>
      </label>
      <p data-testid="model-size" className="stats">
        {estimate && cfg ? (
          <>
            ≈ {estimate.params.toLocaleString()} parameters, ≈ {fmtMB(estimate.memoryBytes)} of GPU memory to train
            (L {cfg.length}, D {cfg.hidden}, {cfg.heads} heads, {cfg.blocks} blocks, batch {estimate.batch}; exact once the corpus vocabulary is known)
          </>
        ) : 'Estimating the size…'}
      </p>
      {model.preset === 'custom' && cfg && estimate && (
        <div className="grid">
          {(['length', 'hidden', 'blocks', 'heads', 'cond'] as const).map((k) => (
            <NumberField key={k} label={k} value={cfg[k]} rule={{ name: k, integer: true, min: 1 }} testid={`custom-${k}`} onValue={(v) => num(k, v)} />
          ))}
          <NumberField label="batch" value={estimate.batch} rule={{ name: 'batch', integer: true, min: 1 }} testid="custom-batch" onValue={(v) => num('batch', v)} />
          <NumberField label="learning rate" value={estimate.train.lr ?? 0} rule={{ name: 'learning rate', min: 0, above: true }} testid="custom-lr" onValue={(v) => num('lr', v)} />
          <NumberField label="warm-up" value={estimate.train.warmup ?? 0} rule={{ name: 'warm-up', integer: true, min: 0 }} testid="custom-warmup" onValue={(v) => num('warmup', v)} />
          <NumberField label="EMA decay" value={estimate.train.emaDecay ?? 0} rule={{ name: 'EMA decay', min: 0, max: 1 }} testid="custom-emaDecay" onValue={(v) => num('emaDecay', v)} />
          <NumberField label="dropout" value={estimate.train.dropout ?? 0} rule={{ name: 'dropout', min: 0, max: 0.9 }} testid="custom-dropout" onValue={(v) => num('dropout', v)} />
        </div>
      )}
      <label className="field"><span className="name">Tokenizer</span>
        <select data-testid="tokenizer" value={tokenizer} onChange={(e) => setTokenizer(e.target.value as typeof tokenizer)}>
          <option value="char">characters of the corpus</option>
          <option value="bpe">byte-level BPE (512 tokens, bundled tokenizer.json)</option>
          <option value="bpe-4096">byte-level BPE (4,096 tokens of the whole Brown corpus: the base models')</option>
        </select>
      </label>
      <label className="field"><span className="name">Backend</span>
        <BackendSelect testid="backend-choice" value={backend} onChange={setBackend} />
      </label>
      <NumberField className="field" label={<span className="name">Steps</span>} testid="steps" value={steps}
        rule={{ name: 'Steps', integer: true, min: 1 }} onValue={setSteps} />
    </fieldset>
  );
}

function TrainButton() {
  const { status, start } = useTrain(useShallow((s) => ({ status: s.status, start: s.start })));
  const training = status === 'training' || status === 'pausing';
  return <button type="button" data-testid="train" disabled={training || status === 'starting'} onClick={() => void start()}>Train</button>;
}

function TrainChart() {
  const { history, unigram } = useTrain(useShallow((s) => ({ history: s.run.history, unigram: s.run.unigramEntropy })));
  return <LossChart history={history} unigram={unigram} />;
}

function SamplePreview() {
  const sample = useTrain((s) => s.run.sample);
  if (!sample) return null;
  return (
    <div className="group">
      <h3>Sample at step {sample.step} (8 <Term k="Euler steps" />, <Term k="EMA" /> weights)</h3>
      <pre className="sample" data-testid="sample" title="spaces shown as ·, line breaks as ↵">{visibleWhitespace(sample.text)}</pre>
    </div>
  );
}

/**
 * The training view: on a laptop the model and corpus on the left, the run's
 * controls, progress and loss curve on the right (all above the fold at
 * 1440×900); the sample preview and the checkpoints below.
 */
export function TrainView() {
  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Train an FLM</h2>
      <div className="split">
        <div className="train-settings">
          <ModelBox />
          <CorpusPicker />
        </div>
        <div className="train-run">
          <RunProgress actions={<TrainButton />} />
          <TrainChart />
        </div>
      </div>
      <SamplePreview />
      <Checkpoints />
    </section>
  );
}
