import { useShallow } from 'zustand/react/shallow';
import { CandidateColumns } from '../components/CandidateColumns.tsx';
import { useSample } from '../sampleStore.ts';

/** The Sample view's superposition: the current frame of the recorded run. */
export function Superposition({ pieces, length }: { pieces: string[]; length: number }) {
  const { f, prev, sample, position, selectPosition, cellMode } = useSample(useShallow((s) => ({
    f: s.frames[s.frame], prev: s.frames[s.frame - 1], sample: s.sample, position: s.position, selectPosition: s.selectPosition, cellMode: s.cellMode,
  })));
  if (!f) return null;
  return (
    <CandidateColumns f={f} prev={prev} pieces={pieces} length={length} sample={sample} mode={cellMode} selected={position} onSelect={selectPosition} />
  );
}
