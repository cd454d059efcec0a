import { useEffect, useState } from 'react';
import { evalMarkdown } from '../../eval/sweep.ts';
import { fmtTime } from '../../util/format.ts';
import { download } from '../download.ts';
import { useEval } from '../evalStore.ts';
import { EvalCharts, EvalTable } from './EvalCharts.tsx';
import { Picker, useModels } from './ModelPicker.tsx';

/**
 * The paper's evaluation on your own models (spec section 8): samples of
 * the FLM at many Euler step counts and of the FMLM at a few, scored by an
 * autoregressive judge (generative perplexity) and by their unigram entropy,
 * with the same two numbers on held-out real text as the reference row.
 */
export function EvalView() {
  const s = useEval();
  const flms = useModels('flm'), fmlms = useModels('fmlm'), judges = useModels('judge');
  const [flm, setFlm] = useState(''), [fmlm, setFmlm] = useState(''), [judge, setJudge] = useState('');
  const src = (choices: typeof flms, key: string) => choices.find((c) => c.key === key)?.source ?? null;
  const busy = s.status === 'running' || s.status === 'stopping';
  useEffect(() => { if (flm || fmlm) void s.showSaved(src(flms, flm), src(fmlms, fmlm)); }, [flm, fmlm]); // eslint-disable-line react-hooks/exhaustive-deps
  const p = s.progress;
  const elapsed = s.startedAt ? (performance.now() - s.startedAt) / 1000 : 0;
  return (
    <section className="panel" data-testid="eval" data-status={s.status}>
      <h2>Evaluate: generative perplexity and entropy against steps</h2>
      <p>
        Samples of the FLM (Euler, many step counts) and of the FMLM (few steps), each scored by an autoregressive judge trained on the
        same corpus and tokenizer: generative perplexity (exp of the judge's mean NLL per token; lower is better, but only together with
        an entropy near the real text's — a sampler that repeats itself scores low on both).
      </p>
      <fieldset className="group" disabled={busy}>
        <legend>Models</legend>
        <div className="row">
          <Picker label="FLM" testid="eval-flm" choices={flms} value={flm} onChange={setFlm} />
          <Picker label="FMLM" testid="eval-fmlm" choices={fmlms} value={fmlm} onChange={setFmlm} />
          <Picker label="Judge" testid="eval-judge" choices={judges} value={judge} onChange={setJudge} />
        </div>
        <div className="row">
          <label>Samples per row <input type="number" data-testid="eval-samples" min={1} max={1024} value={s.samples} onChange={(e) => s.set({ samples: Number(e.target.value) })} /></label>
          <label>Seed <input type="number" data-testid="eval-seed" min={0} value={s.seed} onChange={(e) => s.set({ seed: Number(e.target.value) })} /></label>
          <label>FLM steps <input data-testid="eval-flm-steps" size={36} value={s.stepsFlm} onChange={(e) => s.set({ stepsFlm: e.target.value })} /></label>
          <label>FMLM steps <input data-testid="eval-fmlm-steps" size={12} value={s.stepsFmlm} onChange={(e) => s.set({ stepsFmlm: e.target.value })} /></label>
        </div>
      </fieldset>
      <div className="row">
        <button type="button" data-testid="eval-run" disabled={busy || !judge} onClick={() => void s.run(src(flms, flm), src(fmlms, fmlm), src(judges, judge))}>Evaluate</button>
        <button type="button" data-testid="eval-stop" disabled={s.status !== 'running'} onClick={() => void s.stop()}>Stop</button>
        <span className="status" data-testid="eval-status">{s.status}</span>
      </div>
      {p && (
        <div data-testid="eval-progress">
          <progress max={p.rows * p.samples} value={p.row * p.samples + p.done} />
          <p className="stats">
            row {p.row + 1} of {p.rows}: {p.model === 'data' ? 'real text' : `${p.model.toUpperCase()} at ${p.steps} step${p.steps === 1 ? '' : 's'}`},{' '}
            {p.done}/{p.samples} samples · {fmtTime(elapsed)} elapsed
          </p>
        </div>
      )}
      {s.message && <p className="error" role="alert" data-testid="eval-error">{s.message}</p>}
      {s.rows.length > 0 && (
        <>
          {s.result && (
            <p className="stats" data-testid="eval-judge-info">
              Judge {s.result.judge.name}: {s.result.judge.params.toLocaleString()} parameters
              {Number.isFinite(s.result.judge.val_ppl) && <>, perplexity {s.result.judge.val_ppl.toFixed(2)} on the held-out text</>}; {s.result.samples} samples per row,
              seed {s.result.seed}, {s.result.backend}; saved {new Date(s.result.date).toLocaleString()}.
            </p>
          )}
          <EvalTable rows={s.rows} />
          <EvalCharts rows={s.rows} />
          {s.result && (
            <div className="row">
              <button type="button" data-testid="eval-export-json" onClick={() => download('eval.json', JSON.stringify(s.result, null, 2))}>Export JSON</button>
              <button type="button" data-testid="eval-export-md" onClick={() => download('eval.md', new Blob([evalMarkdown(s.result!)], { type: 'text/markdown' }))}>Export markdown</button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
