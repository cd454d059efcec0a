import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { visibleWhitespace } from '../../util/format.ts';
import { BACKEND_LABEL } from '../components/BackendSelect.tsx';
import { Condense } from '../components/Condense.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { networkEvaluations, runsOf, tokenDiff, type DiffCell } from '../demoDiff.ts';
import { menuWith } from '../demoLink.ts';
import { useDemo } from '../demoStore.ts';
import { shownFor, type Tied } from '../messages.ts';
import { KIND_SHORT } from '../labels.ts';
import { isBusy } from '../reducers/demo.ts';
import { Term } from '../components/Term.tsx';

let started = false;

/** The FLM step counts the Demo offers to compare with (a link's other value is added to them). */
const COMPARE_STEPS = [0, 8, 16, 32, 64, 128, 256];

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

function Loading() {
  const { progress, phase } = useDemo(useShallow((s) => ({ progress: s.progress, phase: s.phase })));
  if (phase !== 'loading') return null;
  return (
    <div className="demo-loading" data-testid="demo-loading">
      <progress max={progress?.total ?? 1} value={progress?.total ? progress.loaded : undefined} />
      <span className="status">
        {!progress ? 'Loading the models…' : progress.what.startsWith('warm-up') ? `Almost ready: ${progress.what}…`
          : `Loading ${progress.what}: ${mb(progress.loaded)}${progress.total ? ` / ${mb(progress.total)}` : ''} MB`}
      </span>
    </div>
  );
}

/** A link's model larger than the studio downloads without asking: its size, and the user's choice. */
function SizeQuestion() {
  const { confirm, answerSize } = useDemo(useShallow((s) => ({ confirm: s.confirm, answerSize: s.answerSize })));
  if (!confirm) return null;
  return (
    <div className="notice demo-confirm" role="alertdialog" aria-label="large model" data-testid="demo-confirm-size" data-size={confirm.size ?? ''}>
      <p>{confirm.message}</p>
      <div className="row">
        <button type="button" className="big" data-testid="demo-confirm-yes" onClick={() => void answerSize(true)}>
          Download{confirm.size ? ` ${mb(confirm.size)} MB` : ' anyway'}
        </button>
        <button type="button" className="secondary" data-testid="demo-confirm-no" onClick={() => void answerSize(false)}>Cancel</button>
      </div>
    </div>
  );
}

function BackendInfo() {
  const model = useDemo((s) => s.model);
  if (!model) return null;
  return (
    <div className="demo-backend-line">
      <p className="stats demo-backend" data-testid="demo-backend" data-kind={model.backendKind}>
        {BACKEND_LABEL[model.backendKind]} · {model.backend}
      </p>
      {model.fallbackReason && (
        <p className="notice" role="status" data-testid="demo-fallback">
          WebGPU does not compute here: {model.fallbackReason.replace(/\.+$/, '')}. {BACKEND_LABEL[model.backendKind]} runs the model instead
          {model.backendKind === 'wasm' ? ' (SIMD kernels, far faster on a CPU than an emulated GPU)' : ''}; a share link reproduces
          its tokens on the same backend.
        </p>
      )}
    </div>
  );
}

function ShareLink() {
  const url = useDemo((s) => (s.run ? s.shareUrl() : null));
  // About the link that was copied: a new sample's link was not.
  const [copyStatus, setCopied] = useState<Tied<string> | null>(null);
  const copied = shownFor(copyStatus, url);
  if (!url) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied({ about: url, text: 'Link copied' });
    } catch {
      setCopied({ about: url, text: 'Select the link and copy it (the browser refused the clipboard)' });
    }
  };
  return (
    <div className="row share">
      <button type="button" className="secondary" data-testid="copy-link" onClick={() => void copy()}>Copy link</button>
      <input type="url" readOnly value={url} data-testid="share-link" aria-label="share link" onFocus={(e) => e.target.select()} />
      {copied && <span className="status" data-testid="copy-status">{copied}</span>}
    </div>
  );
}

/** The share link's values that could not be used, with what the Demo uses instead. */
function LinkNotices() {
  const notices = useDemo((s) => s.linkNotices);
  if (!notices.length) return null;
  return (
    <div className="notice" role="status" data-testid="demo-link-notice">
      <p>This link asks for settings the Demo cannot use:</p>
      <ul>{notices.map((n) => <li key={n}>{n}</li>)}</ul>
    </div>
  );
}

function Controls() {
  const { model, link, phase, generate, set } = useDemo(useShallow((s) => ({
    model: s.model, link: s.link, phase: s.phase, generate: s.generate, set: s.set,
  })));
  const busy = isBusy(phase);
  const kind = model ? KIND_SHORT[model.kind] : 'FLM';
  const compareMenu = menuWith(COMPARE_STEPS, link.compare);
  return (
    <div className="row demo-controls">
      <button type="button" className="big" data-testid="demo-generate" disabled={!model || busy} onClick={() => void generate({ newSeed: true })}>
        Generate
      </button>
      <NumberField label="Seed " testid="demo-seed" value={link.seed} disabled={busy}
        rule={{ name: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1 }} onValue={(seed) => set({ seed })} />
      <button type="button" className="secondary" data-testid="demo-replay" disabled={!model || busy} onClick={() => void generate()}>Generate this seed</button>
      <label>{kind} steps{' '}
        <select data-testid="demo-steps" value={link.steps} disabled={busy} onChange={(e) => set({ steps: Number(e.target.value) })}>
          {menuWith([1, 2, 4, 8], link.steps).map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <label>FLM steps to compare{' '}
        <select data-testid="demo-compare" value={link.compare} disabled={busy} onChange={(e) => set({ compare: Number(e.target.value) })}>
          {compareMenu.map((n) => <option key={n} value={n}>{n === 0 ? 'none' : n}</option>)}
        </select>
      </label>
      <label className="demo-slider">
        <span className="sr-only">FLM steps to compare, slider</span>
        <input type="range" data-testid="demo-compare-slider" min={0} max={compareMenu.length - 1} step={1}
          value={Math.max(0, compareMenu.indexOf(link.compare))} disabled={busy}
          aria-valuetext={link.compare === 0 ? 'no comparison' : `${link.compare} FLM steps`}
          onChange={(e) => set({ compare: compareMenu[Number(e.target.value)] })} />
        <span aria-hidden="true" className="stats">{link.compare === 0 ? 'none' : link.compare}</span>
      </label>
      <span className="status" data-testid="demo-status">{phase}</span>
    </div>
  );
}

function Samples() {
  const { model, run, frames } = useDemo(useShallow((s) => ({ model: s.model, run: s.run, frames: s.frames })));
  if (!model || !run || frames.length !== run.steps + 1) return null;
  return (
    <div className="demo-samples" data-testid="demo-result" data-tokens={JSON.stringify(run.tokens)} data-seed={run.seed}>
      <h3>{KIND_SHORT[model.kind]} · {run.steps} step{run.steps === 1 ? '' : 's'} <span className="stats">({(run.msTotal / run.count).toFixed(0)} ms per sample)</span></h3>
      {run.texts.map((t, i) => (
        <Condense key={`${run.seed}-${run.steps}-${i}`} frames={frames} pieces={model.pieces} length={model.length} sample={i} text={t} />
      ))}
    </div>
  );
}

/** One sample's text with the positions that differ from the other side's marked. */
function Marked({ cells, testid }: { cells: DiffCell[]; testid: string }) {
  return (
    <pre className="demo-text diff-text" data-testid={testid}>
      {runsOf(cells).map((r) => (r.same
        ? <span key={r.from}>{visibleWhitespace(r.text)}</span>
        : <mark key={r.from} className="diff">{visibleWhitespace(r.text)}</mark>))}
    </pre>
  );
}

const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

function Comparison() {
  const { phase, steps, compare, model, run } = useDemo(useShallow((s) => ({ phase: s.phase, steps: s.link.compare, compare: s.compare, model: s.model, run: s.run })));
  const diffs = useMemo(() => (model && run && compare
    ? run.tokens.map((t, i) => tokenDiff(t, compare.tokens[i] ?? [], (id) => model.pieces[id] ?? `⟨${id}⟩`))
    : []), [model, run, compare]);
  const differing = diffs.reduce((n, d) => n + d.differing, 0);
  const total = diffs.reduce((n, d) => n + d.total, 0);
  const kind = model ? KIND_SHORT[model.kind] : 'FMLM';
  const studentMs = run ? (run.msTotal - (run.msFrames ?? 0)) / run.count : 0;
  return (
    <>
      {phase === 'comparing' && <p className="status" data-testid="demo-comparing">FLM is taking {steps} steps from the same noise…</p>}
      {compare && (
        <div className="demo-compare" data-testid="demo-compare-result" data-tokens={JSON.stringify(compare.tokens)}>
          <h3>FLM teacher · {compare.steps} steps, same noise <span className="stats">({compare.msPerSample.toFixed(0)} ms per sample)</span></h3>
          <div className="demo-compare-body">
            {model && run && (
              <div className="demo-compare-cost">
                <table className="demo-cost" data-testid="demo-cost">
                  <caption className="sr-only">Cost of one sample on each side</caption>
                  <thead><tr><th scope="col">sampler</th><th scope="col">steps</th><th scope="col">network evaluations</th><th scope="col">time per sample</th></tr></thead>
                  <tbody>
                    <tr data-testid="demo-cost-student">
                      <th scope="row">{kind}</th><td>{run.steps}</td><td>{networkEvaluations(model.kind, run.steps)}</td><td>{ms(studentMs)} ms</td>
                    </tr>
                    <tr data-testid="demo-cost-teacher">
                      <th scope="row">FLM teacher</th><td>{compare.steps}</td><td>{networkEvaluations('flm', compare.steps)}</td><td>{ms(compare.msPerSample)} ms</td>
                    </tr>
                  </tbody>
                </table>
                <p className="stats" data-testid="demo-diff-summary" data-differing={differing} data-total={total}>
                  <strong>{kind}: {networkEvaluations(model.kind, run.steps)} network evaluation{networkEvaluations(model.kind, run.steps) === 1 ? '' : 's'};
                    FLM: {compare.steps}.</strong>{' '}
                  {differing === 0 ? `The same tokens at all ${total} positions.` : `${total - differing} of ${total} positions the same (${((100 * (total - differing)) / total).toFixed(0)} %), ${differing} marked.`}
                </p>
                <p className="legend" data-testid="demo-diff-legend">
                  <mark className="diff">marked</mark> a position where the two samples have different tokens; unmarked: the same token.
                  <span aria-hidden="true"> · is a space, ↵ a line break.</span>
                </p>
              </div>
            )}
            <div className="demo-compare-texts">
              {compare.texts.map((t, i) => (diffs[i] ? (
                <div key={i} className="diff-pair" data-testid="demo-diff">
                  <p className="diff-side">{kind} · {run!.steps} step{run!.steps === 1 ? '' : 's'}</p>
                  <Marked cells={diffs[i].a} testid="demo-diff-student" />
                  <p className="diff-side">FLM · {compare.steps} steps</p>
                  <Marked cells={diffs[i].b} testid="demo-diff-teacher" />
                </div>
              ) : <pre key={i} className="demo-text">{visibleWhitespace(t)}</pre>))}
            </div>
          </div>
        </div>
      )}
    </>
  );
}

function AnotherModel() {
  const { model, teacher, busy, open } = useDemo(useShallow((s) => ({ model: s.model, teacher: s.teacher, busy: isBusy(s.phase), open: s.open })));
  const [url, setUrl] = useState('');
  return (
    <details className="demo-more">
      <summary>Another model</summary>
      <p>
        Open a <code>.safetensors</code> checkpoint by URL (https; its config is in the file's metadata), such as an
        official checkpoint converted in the Sample view or by <code>flm convert</code>. It must allow other sites to read
        it (CORS); above 64 MB the studio shows its size and asks before downloading it. The link then carries it.
      </p>
      <div className="row">
        <input type="url" placeholder="https://…/model.safetensors" value={url} data-testid="demo-model-url" onChange={(e) => setUrl(e.target.value)} />
        <button type="button" data-testid="demo-open-url" disabled={busy || !url} onClick={() => void open(url.trim())}>Open</button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void open('fmlm-micro-char')}>Bundled FMLM</button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void open('flm-micro-char')}>Bundled FLM</button>
      </div>
      {model && (
        <p className="stats" data-testid="demo-model">
          {model.name}: {model.params.toLocaleString()} parameters, L {model.length}, vocab {model.vocab} ({model.tokenizer}); {model.sampler}
          {teacher && <> · compared with {teacher}</>}
        </p>
      )}
    </details>
  );
}

export function DemoView() {
  const { phase, message, genError, init } = useDemo(useShallow((s) => ({ phase: s.phase, message: s.message, genError: s.genError, init: s.init })));
  useEffect(() => {
    if (!started) { started = true; void init(); }
  }, [init]);
  return (
    <section className="panel demo" data-testid="demo" data-phase={phase}>
      <h2>Text from noise, in one step</h2>
      <p className="lead">
        A flow-map language model (<Term k="FMLM" />) turns Gaussian noise into text with a single network evaluation.
        Its teacher, a flow-based language model (<Term k="FLM" />), needs many <Term k="Euler steps" /> from the same noise.
      </p>
      <Loading />
      <SizeQuestion />
      {message && <p className="error" role="alert" data-testid="demo-error">{message}</p>}
      {genError && <p className="error" role="alert" data-testid="demo-gen-error">{genError}</p>}
      <LinkNotices />
      <Controls />
      <BackendInfo />
      <Samples />
      <Comparison />
      <ShareLink />
      <AnotherModel />
    </section>
  );
}
