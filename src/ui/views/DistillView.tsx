import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { visibleWhitespace } from '../../util/format.ts';
import { CandidateColumns } from '../components/CandidateColumns.tsx';
import { Checkpoints } from '../components/Checkpoints.tsx';
import { LossChart } from '../components/LossChart.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { Picker, useModels, type Choice } from '../components/ModelPicker.tsx';
import { RunProgress } from '../components/RunProgress.tsx';
import { continueTarget, isBusy } from '../reducers/train.ts';
import { useTrain, type RunState } from '../trainStore.ts';
import { Term } from '../components/Term.tsx';

/** The student's latest one-step sample and its superposition (stage 2) or state after the step (stage 1). */
function StudentSample() {
  const { sample, pieces, kind } = useTrain(useShallow((s) => ({ sample: s.run.sample, pieces: s.run.pieces, kind: s.run.kind })));
  if (!sample) return null;
  const fmlm = kind === 'fmlm';
  return (
    <div className="group">
      <h3>One-step sample of the student at step {sample.step} ({fmlm ? 'softmax δ(z0, 0, 1)' : 'one two-network step'}, <Term k="EMA" /> weights)</h3>
      <pre className="sample" data-testid="distill-sample" title="spaces shown as ·, line breaks as ↵">{visibleWhitespace(sample.text)}</pre>
      {pieces && sample.frames.length > 0 && (
        <>
          <h4>
            {fmlm
              ? 'Its superposition: the top candidates of softmax δ(z0, 0, 1) at each position (shade ∝ √p)'
              : 'The state after the step: top components of z at each position'}
          </h4>
          <CandidateColumns
            testid="distill-superposition"
            f={fmlm ? sample.frames[0] : sample.frames[sample.frames.length - 1]}
            pieces={pieces} length={sample.frames[0].argmaxZ.length} sample={0}
            mode={fmlm ? 'prediction' : 'state'}
          />
        </>
      )}
    </div>
  );
}

function DistillChart() {
  const history = useTrain((s) => s.run.history);
  return <LossChart history={history} unigram={null} valLabel="validation error (unweighted)" unit="loss" />;
}


/**
 * Flow-map distillation (spec sections 6–7): stage 1 trains a flow map g
 * from an FLM teacher; stage 2 trains the one-step FMLM δ from the FLM and g.
 * Both run in the training worker, with progress, loss chart, one-step
 * samples of the student, IndexedDB checkpoints and exact resume.
 */
export function DistillView() {
  const { status, distill } = useTrain(useShallow((s) => ({ status: s.status, distill: s.distill })));
  const flms = useModels('flm'), flowmaps = useModels('flowmap');
  const [f, setF] = useState('');
  const [g, setG] = useState('');
  const [steps1, setSteps1] = useState(100);
  const [steps2, setSteps2] = useState(100);
  const busy = isBusy(status);
  const source = (list: Choice[], key: string) => list.find((c) => c.key === key)?.source;
  const teacher = source(flms, f), flowmap = source(flowmaps, g);
  const name = (stage: 1 | 2) => `${stage === 1 ? 'flow map' : 'FMLM'} of ${flms.find((c) => c.key === f)?.label ?? 'FLM'}`;
  return (
    <section className="panel" aria-labelledby="distill-title">
      <h2 id="distill-title">Distil an FLM into a one-step FMLM</h2>
      <p>
        Stage 1 learns a <Term k="flow map" /> g that jumps from time s to t, trained to agree with two half-jumps of
        the frozen <Term k="FLM" /> teacher. Stage 2 trains a student δ (the <Term k="FMLM" />), initialised from the FLM,
        to match that map with one network: its <Term k="one-step">one step</Term> from noise (t = 0 → 1) is a whole sequence.
      </p>
      <div className="columns">
        <fieldset className="group" disabled={busy}>
          <legend>Stage 1: the flow map g</legend>
          <div className="row">
            <Picker label="FLM teacher" testid="distill-teacher" choices={flms} value={f} onChange={setF} />
            <NumberField label="Steps " testid="distill-steps-1" value={steps1} rule={{ name: 'Steps', integer: true, min: 1 }} onValue={setSteps1} />
          </div>
        </fieldset>
        <fieldset className="group" disabled={busy}>
          <legend>Stage 2: the one-step FMLM δ (needs a stage-1 flow map of the same teacher)</legend>
          <div className="row">
            <Picker label="Stage-1 flow map" testid="distill-flowmap" choices={flowmaps} value={g} onChange={setG} />
            <NumberField label="Steps " testid="distill-steps-2" value={steps2} rule={{ name: 'Steps', integer: true, min: 1 }} onValue={setSteps2} />
          </div>
        </fieldset>
      </div>
      <RunProgress
        valLabel="val error"
        continueTo={(run: RunState) => continueTarget(run.step, run.kind === 'fmlm' ? steps2 : steps1)}
        actions={(
          <>
            <button type="button" data-testid="distill-1" disabled={busy || !teacher} onClick={() => void distill({ stage: 1, teacher: teacher!, steps: steps1, name: name(1) })}>
              Train stage 1
            </button>
            <button type="button" data-testid="distill-2" disabled={busy || !teacher || !flowmap} onClick={() => void distill({ stage: 2, teacher: teacher!, teacherG: flowmap!, steps: steps2, name: name(2) })}>
              Train stage 2
            </button>
          </>
        )}
      />
      <DistillChart />
      <StudentSample />
      <Checkpoints />
    </section>
  );
}
