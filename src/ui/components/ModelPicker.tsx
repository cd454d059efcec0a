/** Choosing a model of one kind (FLM, flow map, FMLM, judge) among the bundled ones and those stored in this browser. */
import { useEffect, useMemo } from 'react';
import type { ModelEntry, ModelKind, StoredModelSource } from '../../../workers/protocol.ts';
import { modelLabel } from '../labels.ts';
import { useModelList } from '../modelsStore.ts';
import { useTrain } from '../trainStore.ts';

export interface Choice { key: string; label: string; source: StoredModelSource }

export const keyOf = (s: StoredModelSource) => (s.kind === 'bundled' ? `bundled:${s.file}` : `stored:${s.id}`);

const choice = (m: ModelEntry): Choice => ({
  key: keyOf(m.source), source: m.source, label: modelLabel(m.name, m.source.kind === 'bundled' ? 'bundled' : m.detail),
});

/** The models of one kind the user can pick; listed again whenever the stored checkpoints change. */
export function useModels(kind: ModelKind): Choice[] {
  const entries = useModelList((s) => s.entries);
  const refresh = useModelList((s) => s.refresh);
  const checkpoints = useTrain((s) => s.checkpoints);
  useEffect(() => { void refresh(); }, [refresh, checkpoints]);
  return useMemo(() => entries.filter((m) => m.kind === kind).map(choice), [entries, kind]);
}

export function Picker({ label, testid, choices, value, onChange }: { label: string; testid: string; choices: Choice[]; value: string; onChange(v: string): void }) {
  const current = choices.some((c) => c.key === value) ? value : (choices[0]?.key ?? '');
  useEffect(() => { if (current !== value) onChange(current); }, [current, value, onChange]);
  return (
    <label>{label}{' '}
      <select data-testid={testid} value={current} onChange={(e) => onChange(e.target.value)}>
        {choices.length === 0 && <option value="">— none yet —</option>}
        {choices.map((c) => <option key={c.key} value={c.key}>{c.label}</option>)}
      </select>
    </label>
  );
}
