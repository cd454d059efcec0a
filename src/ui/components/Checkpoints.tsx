import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fmtMB } from '../../util/format.ts';
import { download } from '../download.ts';
import { KIND_LABEL } from '../labels.ts';
import { isBusy } from '../reducers/train.ts';
import { useTrain } from '../trainStore.ts';

/** A stored checkpoint's kind in words (the store keeps it as a plain string). */
const KIND_TEXT: Record<string, string | undefined> = KIND_LABEL;

/** The checkpoints stored in this browser: rename, resume, export, open in the Sample view, delete; import a file. */
export function Checkpoints() {
  const { checkpoints, status, steps } = useTrain(useShallow((s) => ({ checkpoints: s.checkpoints, status: s.status, steps: s.steps })));
  const { refresh, rename, remove, exportFile, importFile, resume } = useTrain(useShallow((s) => ({
    refresh: s.refresh, rename: s.rename, remove: s.remove, exportFile: s.exportFile, importFile: s.importFile, resume: s.resume,
  })));
  useEffect(() => { void refresh(); }, [refresh]);
  const busy = isBusy(status);
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
              <td>{KIND_TEXT[c.kind] ?? c.kind}</td>
              <td>{c.step}</td>
              <td>{fmtMB(c.bytes)}</td>
              <td>{new Date(c.updatedAt).toLocaleString()}</td>
              <td className="row">
                <button type="button" disabled={busy} data-testid="resume" onClick={() => void resume(c.id, Math.max(steps, c.step + 1))}>Resume</button>
                <button type="button" data-testid="export" onClick={() => void save(c.id)}>Export</button>
                {(c.kind === 'flm' || c.kind === 'fmlm') && <a className="button" data-testid="open-sample" href={`?view=sample&model=${encodeURIComponent(`stored:${c.id}`)}`}>Sample</a>}
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
