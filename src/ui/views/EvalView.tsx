import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fmtTime } from '../../util/format.ts';
import { EvalCharts, EvalTable } from '../components/EvalCharts.tsx';
import { Picker, useModels, type Choice } from '../components/ModelPicker.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { download } from '../download.ts';
import { useEval } from '../evalStore.ts';
import { resultSettings, sameSettings } from '../reducers/eval.ts';
import { Term } from '../components/Term.tsx';

const sourceOf = (choices: Choice[], key: string) => choices.find((c) => c.key === key)?.source ?? null;

function Settings({ busy }: { busy: boolean }) {
  const { samples, seed, stepsFlm, stepsFmlm, set } = useEval(useShallow((s) => ({
    samples: s.samples, seed: s.seed, stepsFlm: s.stepsFlm, stepsFmlm: s.stepsFmlm, set: s.set,
  })));
  return (
    <div className="row">
      <NumberField label="Samples per row " testid="eval-samples" value={samples} disabled={busy}
        rule={{ name: 'Samples per row', integer: true, min: 1, max: 1024 }} onValue={(v) => set({ samples: v })} />
      <NumberField label="Seed " testid="eval-seed" value={seed} disabled={busy}
        rule={{ name: 'Seed', integer: true, min: 0, max: 2 ** 32 - 1 }} onValue={(v) => set({ seed: v })} />
      <label>FLM steps <input data-testid="eval-flm-steps" size={36} value={stepsFlm} disabled={busy} onChange={(e) => set({ stepsFlm: e.target.value })} /></label>
      <label>FMLM steps <input data-testid="eval-fmlm-steps" size={12} value={stepsFmlm} disabled={busy} onChange={(e) => set({ stepsFmlm: e.target.value })} /></label>
    </div>
  );
}

function Progress() {
  const { p, startedAt } = useEval(useShallow((s) => ({ p: s.progress, startedAt: s.startedAt })));
  if (!p) return null;
  const elapsed = startedAt ? (performance.now() - startedAt) / 1000 : 0;
  return (
    <div data-testid="eval-progress">
      <progress max={p.rows * p.samples} value={p.row * p.samples + p.done} />
      <p className="stats">
        row {p.row + 1} of {p.rows}: {p.model === 'data' ? 'real text' : `${p.model.toUpperCase()} at ${p.steps} step${p.steps === 1 ? '' : 's'}`},{' '}
        {p.done}/{p.samples} samples · {fmtTime(elapsed)} elapsed
      </p>
    </div>
  );
}

/** When the form no longer holds the settings the shown result was computed with: which they were. */
function OtherSettings() {
  const { result, samples, seed, stepsFlm, stepsFmlm } = useEval(useShallow((s) => ({
    result: s.result, samples: s.samples, seed: s.seed, stepsFlm: s.stepsFlm, stepsFmlm: s.stepsFmlm,
  })));
  if (!result) return null;
  const form = { samples, seed, stepsFlm, stepsFmlm };
  const its = resultSettings(result, form);
  if (sameSettings(form, its)) return null;
  return (
    <p className="stats" role="status" data-testid="eval-other-settings">
      The result below was computed with other settings: {its.samples} samples per row, seed {its.seed}
      {result.models.flm && <>, FLM steps {its.stepsFlm}</>}{result.models.fmlm && <>, FMLM steps {its.stepsFmlm}</>}. Evaluate to compute the settings above.
    </p>
  );
}

function Results() {
  const { rows, result, markdown } = useEval(useShallow((s) => ({ rows: s.rows, result: s.result, markdown: s.markdown })));
  const [exportError, setExportError] = useState<string | null>(null);
  if (!rows.length) return null;
  const exportMarkdown = async () => {
    try {
      setExportError(null);
      const md = await markdown();
      if (md !== null) download('eval.md', new Blob([md], { type: 'text/markdown' }));
    } catch (e) {
      setExportError(`Markdown export failed: ${(e as Error).message}`);
    }
  };
  return (
    <>
      {result && (
        <p className="stats" data-testid="eval-judge-info">
          Judge {result.judge.name}: {result.judge.params.toLocaleString()} parameters
          {Number.isFinite(result.judge.val_ppl) && <>, perplexity {result.judge.val_ppl.toFixed(2)} on the held-out text</>}
          {typeof result.data_entropy === 'number' && <>, whose entropy is {result.data_entropy.toFixed(3)} nats (each row&apos;s entropy is compared with it)</>}; {result.samples} samples per row,
          seed {result.seed}, {result.backend}; saved {new Date(result.date).toLocaleString()}.
        </p>
      )}
      <EvalTable rows={rows} />
      <EvalCharts rows={rows} />
      {result && (
        <div className="row">
          <button type="button" data-testid="eval-export-json" onClick={() => download('eval.json', JSON.stringify(result, null, 2))}>Export JSON</button>
          <button type="button" data-testid="eval-export-md" onClick={() => void exportMarkdown()}>Export markdown</button>
          {exportError && <span className="error">{exportError}</span>}
        </div>
      )}
    </>
  );
}

/**
 * The paper's evaluation on your own models (spec section 8): samples of
 * the FLM at many Euler step counts and of the FMLM at a few, scored by an
 * autoregressive judge (generative perplexity) and by their unigram entropy,
 * with the same two numbers on held-out real text as the reference row.
 */
export function EvalView() {
  const { status, message, run, stop, showSaved } = useEval(useShallow((s) => ({
    status: s.status, message: s.message, run: s.run, stop: s.stop, showSaved: s.showSaved,
  })));
  const flms = useModels('flm'), fmlms = useModels('fmlm'), judges = useModels('judge');
  const [flm, setFlm] = useState(''), [fmlm, setFmlm] = useState(''), [judge, setJudge] = useState('');
  const busy = status === 'running' || status === 'stopping';
  useEffect(() => { if (flm || fmlm) void showSaved(sourceOf(flms, flm), sourceOf(fmlms, fmlm)); }, [flm, fmlm]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <section className="panel" data-testid="eval" data-status={status}>
      <h2>Evaluate: generative perplexity and entropy against steps</h2>
      <p>
        Samples of the <Term k="FLM" /> (<Term k="Euler steps" />, many step counts) and of the <Term k="FMLM" /> (few steps), each scored by an
        autoregressive judge trained on the same corpus and tokenizer: generative <Term k="perplexity" /> (exp of the judge&apos;s mean loss per
        token; lower is better, but only together with an entropy near the real text&apos;s — a sampler that repeats itself scores low on both).
        Beside each perplexity: the <Term k="entropy" /> of the samples (each sample&apos;s unigram token entropy in <Term k="nats" />, averaged
        over the samples) and how far it lies from the real text&apos;s.
      </p>
      <fieldset className="group" disabled={busy}>
        <legend>Models</legend>
        <div className="row">
          <Picker label="FLM" testid="eval-flm" choices={flms} value={flm} onChange={setFlm} />
          <Picker label="FMLM" testid="eval-fmlm" choices={fmlms} value={fmlm} onChange={setFmlm} />
          <Picker label="Judge" testid="eval-judge" choices={judges} value={judge} onChange={setJudge} />
        </div>
        <Settings busy={busy} />
      </fieldset>
      <div className="row">
        <button type="button" data-testid="eval-run" disabled={busy || !judge} onClick={() => void run(sourceOf(flms, flm), sourceOf(fmlms, fmlm), sourceOf(judges, judge))}>Evaluate</button>
        <button type="button" data-testid="eval-stop" disabled={status !== 'running'} onClick={() => void stop()}>Stop</button>
        <span className="status" data-testid="eval-status">{status}</span>
      </div>
      <Progress />
      {message && <p className="error" role="alert" data-testid="eval-error">{message}</p>}
      {status === 'stopped' && <p className="stats" role="status" data-testid="eval-stopped">Stopped. The rows so far are shown below (a stopped sweep is not saved).</p>}
      <OtherSettings />
      <Results />
    </section>
  );
}
