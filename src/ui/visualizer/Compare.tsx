import { useShallow } from 'zustand/react/shallow';
import { visibleWhitespace } from '../../util/format.ts';
import { KIND_SHORT } from '../labels.ts';
import { useSample } from '../sampleStore.ts';

/** The same noise (seed) sampled with several step counts, side by side. */
export function Compare() {
  const { compareSteps, teacherSteps, comparing, compare, model, status, seed } = useSample(useShallow((s) => ({
    compareSteps: s.compareSteps, teacherSteps: s.teacherSteps, comparing: s.comparing, compare: s.compare, model: s.model, status: s.status, seed: s.settings.seed,
  })));
  const { setCompareSteps, setTeacherSteps, runCompare } = useSample(useShallow((s) => ({
    setCompareSteps: s.setCompareSteps, setTeacherSteps: s.setTeacherSteps, runCompare: s.runCompare,
  })));
  const busy = comparing || status === 'sampling' || status === 'loading';
  const stepsLabel = !model || model.samplerKind === 'euler' ? 'Euler steps' : `${KIND_SHORT[model.kind]} steps`;
  return (
    <section className="group" data-testid="compare">
      <h3>Same noise, different step counts</h3>
      <div className="row">
        <label>{stepsLabel} <input data-testid="compare-steps" value={compareSteps} onChange={(e) => setCompareSteps(e.target.value)} /></label>
        {model?.teacher && (
          <label>its FLM teacher, Euler steps <input data-testid="teacher-steps" value={teacherSteps} onChange={(e) => setTeacherSteps(e.target.value)} /></label>
        )}
        <button type="button" data-testid="compare-run" disabled={!model || busy} onClick={() => void runCompare()}>Compare (seed {seed})</button>
        {comparing && <span className="status">sampling…</span>}
      </div>
      <div className="compare-columns">
        {compare.map((c) => (
          <div key={c.label} className="compare-col" data-testid="compare-col" data-steps={c.steps} data-model={c.model}>
            <h4>{c.label} <small className="stats">{c.msPerStep.toFixed(0)} ms/step · {c.msTotal.toFixed(0)} ms</small></h4>
            {c.texts.map((t, i) => <pre key={i} className="sample" data-text={t}>{visibleWhitespace(t)}</pre>)}
          </div>
        ))}
      </div>
    </section>
  );
}
