/** Choosing a model of one kind (FLM, flow map, FMLM, judge) among the bundled ones and those stored in this browser. */
import { useEffect, useState } from 'react';
import type { StoredModelSource } from '../../../workers/protocol.ts';
import { useTrain } from '../trainStore.ts';

export type ModelKind = 'flm' | 'flowmap' | 'fmlm' | 'judge';

export type Source = StoredModelSource;
export interface Choice { key: string; label: string; source: Source }

interface BundledIndex { models: { file: string; name: string; kind?: string }[] }

export const keyOf = (s: Source) => (s.kind === 'bundled' ? `bundled:${s.file}` : `stored:${s.id}`);

/** The models of one kind the user can pick: the bundled ones and those stored in this browser. */
export function useModels(kind: ModelKind): Choice[] {
  const { checkpoints, refresh } = useTrain();
  const [bundled, setBundled] = useState<Choice[]>([]);
  useEffect(() => {
    void refresh();
    void fetch(`${import.meta.env.BASE_URL}models/index.json`).then(async (r) => {
      if (!r.ok) return;
      const index = (await r.json()) as BundledIndex;
      setBundled(index.models.filter((m) => (m.kind ?? 'flm') === kind).map((m) => {
        const source: Source = { kind: 'bundled', file: m.file };
        return { key: keyOf(source), label: `${m.name} (bundled)`, source };
      }));
    }).catch(() => undefined);
  }, [kind, refresh]);
  const stored = checkpoints.filter((c) => c.kind === kind).map((c): Choice => {
    const source: Source = { kind: 'stored', id: c.id };
    return { key: keyOf(source), label: `${c.name} (step ${c.step})`, source };
  });
  return [...bundled, ...stored];
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

