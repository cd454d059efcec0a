import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { OnnxApi } from '../../../workers/onnx.worker.ts';
import { fmtMB } from '../../util/format.ts';
import { download } from '../download.ts';
import { KIND_LABEL } from '../labels.ts';
import { continueTarget, isBusy } from '../reducers/train.ts';
import { useTrain } from '../trainStore.ts';
import { workerClient } from '../workers.ts';

/** The ONNX export worker (docs/onnx.md), started on the first "Export ONNX". */
const onnxExporter = workerClient<OnnxApi>(() => new Worker(new URL('../../../workers/onnx.worker.ts', import.meta.url), { type: 'module', name: 'onnx' }));

/** A stored checkpoint's kind in words (the store keeps it as a plain string). */
const KIND_TEXT: Record<string, string | undefined> = KIND_LABEL;

/** The question before leaving a run that is training for the Sample view. */
export function leaveQuestion(step: number, steps: number): string {
  return `Training is running (step ${step} of ${steps}). Opening the Sample view stops it, and the steps since its last save would be lost.\n\n`
    + 'OK: pause the run (it saves this step) and open the Sample view. Cancel: keep training.';
}

/** Resolves once no run holds the training worker (paused, done or failed). */
function untilIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (!isBusy(useTrain.getState().status)) { resolve(); return; }
    const stop = useTrain.subscribe((s) => { if (!isBusy(s.status)) { stop(); resolve(); } });
  });
}

/** The checkpoints stored in this browser: rename, resume, export, open in the Sample view, delete; import a file. */
export function Checkpoints() {
  const { checkpoints, status, steps } = useTrain(useShallow((s) => ({ checkpoints: s.checkpoints, status: s.status, steps: s.steps })));
  const { refresh, rename, remove, exportFile, importFile, resume, pause } = useTrain(useShallow((s) => ({
    refresh: s.refresh, rename: s.rename, remove: s.remove, exportFile: s.exportFile, importFile: s.importFile, resume: s.resume, pause: s.pause,
  })));
  /**
   * The Sample view is another page: opening it while a run trains would stop
   * the run and lose the steps since its last save. Ask; on yes the run
   * pauses (and saves), then the Sample view opens.
   */
  const openSample = async (href: string) => {
    const { run } = useTrain.getState();
    if (!confirm(leaveQuestion(run.step, run.steps))) return;
    await pause();
    await untilIdle();
    location.assign(href);
  };
  useEffect(() => { void refresh(); }, [refresh]);
  const busy = isBusy(status);
  const save = async (id: string) => {
    const { name, bytes } = await exportFile(id);
    download(name, new Blob([bytes], { type: 'application/octet-stream' }));
  };
  const [onnx, setOnnx] = useState<{ id: string | null; error: string | null }>({ id: null, error: null });
  const saveOnnx = async (id: string) => {
    setOnnx({ id, error: null });
    try {
      const { name, bytes } = await exportFile(id);
      const model = await onnxExporter().exportOnnx(bytes);
      download(name.replace(/\.safetensors$/i, '') + '.onnx', new Blob([model], { type: 'application/octet-stream' }));
      setOnnx({ id: null, error: null });
    } catch (e) {
      setOnnx({ id: null, error: `ONNX export failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  return (
    <div className="group">
      <h3>Checkpoints (stored in this browser)</h3>
      {/* On a narrow screen the table scrolls inside its box, not the page. */}
      <div className="table-scroll">
      <table className="checkpoints" data-testid="checkpoints">
        <thead><tr><th>name</th><th>kind</th><th>step</th><th>size</th><th>saved</th><th><span className="sr-only">actions</span></th></tr></thead>
        <tbody>
          {checkpoints.map((c) => (
            <tr key={c.id} data-testid="checkpoint-row" data-step={c.step} data-kind={c.kind}>
              <td><input aria-label="name" className="ckpt-name" size={Math.min(48, Math.max(20, c.name.length + 2))} defaultValue={c.name} title={c.name} onBlur={(e) => { if (e.target.value !== c.name) void rename(c.id, e.target.value); }} /></td>
              <td>{KIND_TEXT[c.kind] ?? c.kind}</td>
              <td>{c.step}</td>
              <td>{fmtMB(c.bytes)}</td>
              <td>{new Date(c.updatedAt).toLocaleString()}</td>
              <td className="row">
                <button type="button" disabled={busy} data-testid="resume" title="the Steps setting, or that many steps more once the checkpoint has reached it"
                  onClick={() => void resume(c.id, continueTarget(c.step, steps))}>Resume to {continueTarget(c.step, steps)}</button>
                <button type="button" className="secondary" data-testid="export" onClick={() => void save(c.id)}>Export</button>
                <button type="button" className="secondary" data-testid="export-onnx" disabled={onnx.id !== null} title="the model as ONNX (opset 17) for onnxruntime: docs/onnx.md"
                  onClick={() => void saveOnnx(c.id)}>{onnx.id === c.id ? 'Exporting…' : 'Export ONNX'}</button>
                {(c.kind === 'flm' || c.kind === 'fmlm') && (
                  <a className="button" data-testid="open-sample" href={`?view=sample&model=${encodeURIComponent(`stored:${c.id}`)}`}
                    onClick={(e) => { if (!busy) return; e.preventDefault(); void openSample(e.currentTarget.href); }}>Sample</a>
                )}
                <button type="button" className="secondary" disabled={busy} onClick={() => { if (confirm(`Delete "${c.name}"?`)) void remove(c.id); }}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {onnx.error && <p className="error" data-testid="export-onnx-error">{onnx.error}</p>}
      <label className="file">Import a .safetensors checkpoint… <input data-testid="import" type="file" accept=".safetensors" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importFile(f); e.target.value = ''; }} /></label>
    </div>
  );
}
