import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fmtLoss, fmtMB, fmtTime } from '../../util/format.ts';
import { continueTarget } from '../reducers/train.ts';
import { useTrain, type RunState } from '../trainStore.ts';

/**
 * A run's controls and progress (training and distillation share the
 * training worker): the view's start buttons, Pause, Continue, status,
 * messages, progress and figures, and the fault-injection buttons.
 */
export function RunProgress({ actions, valLabel = 'val CE', continueTo }: {
  actions: ReactNode;
  valLabel?: string;
  /** The step count Continue runs to (by default the Steps setting, or that many more once reached: continueTarget). */
  continueTo?: (run: RunState) => number;
}) {
  const { run, status, message, notice, steps } = useTrain(useShallow((s) => ({
    run: s.run, status: s.status, message: s.message, notice: s.notice, steps: s.steps,
  })));
  const { pause, resume, injectFault } = useTrain(useShallow((s) => ({ pause: s.pause, resume: s.resume, injectFault: s.injectFault })));
  const pct = run.steps ? (100 * run.step) / run.steps : 0;
  const training = status === 'training' || status === 'pausing';
  const to = continueTo ? continueTo(run) : continueTarget(run.step, steps);
  return (
    <div className="group">
      <div className="row">
        {actions}
        <button type="button" className="secondary" data-testid="pause" disabled={status !== 'training'} onClick={() => void pause()}>Pause</button>
        {run.checkpointId && (status === 'paused' || status === 'done') && (
          <button type="button" data-testid="continue" onClick={() => void resume(run.checkpointId!, to)}>Continue to {to} steps</button>
        )}
        <span data-testid="status" className="status">{status}</span>
      </div>
      {message && <p className="error" role="alert" data-testid="train-error">{message}</p>}
      {notice && <p className="notice" role="status" data-testid="train-notice">{notice}</p>}
      <progress max={100} value={pct} data-testid="progress" />
      <p className="stats" data-testid="run-stats">
        step <strong data-testid="step">{run.step}</strong> / {run.steps}
        {run.loss !== null && <> · loss <strong data-testid="loss">{fmtLoss(run.loss)}</strong></>}
        {run.valCe !== null && <> · {valLabel} <span data-testid="val">{fmtLoss(run.valCe)}</span></>}
        {run.tokensPerS !== null && <> · <span data-testid="tokens-per-s">{run.tokensPerS.toFixed(0)} tokens/s</span></>}
        {run.msPerStep !== null && <> · <span data-testid="ms-per-step">{run.msPerStep < 10 ? run.msPerStep.toFixed(1) : run.msPerStep.toFixed(0)} ms/step</span></>}
        {run.etaS !== null && training && <> · ETA {fmtTime(run.etaS)}</>}
        {run.params > 0 && <> · {run.params.toLocaleString()} parameters, vocab {run.vocab}, {fmtMB(run.memoryBytes)} · {run.backend}</>}
      </p>
      <details className="faults">
        <summary>Fault injection (see how the studio recovers)</summary>
        <div className="row">
          <button type="button" className="secondary" data-testid="fault-device-loss" disabled={status !== 'training'} onClick={() => void injectFault('device-loss')}>
            Lose the GPU device
          </button>
          <button type="button" className="secondary" data-testid="fault-nan" disabled={status !== 'training'} onClick={() => void injectFault('nan-weights')}>
            Poison the weights with NaN
          </button>
        </div>
      </details>
    </div>
  );
}
