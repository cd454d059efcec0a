import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../../util/format.ts';
import { CANDIDATE_INK, candidateBackground } from './candidateShade.ts';

/** What a column's cells show: the prediction softmax(DiT(z_t, t)), or the state z_t. */
export type CellMode = 'prediction' | 'state';

interface ColumnsProps {
  f: FrameSummary;
  /** The previous frame (positions whose argmax changed are outlined). */
  prev?: FrameSummary;
  pieces: string[];
  length: number;
  /** Which sample of the frame. */
  sample: number;
  mode: CellMode;
  selected?: number | null;
  onSelect?: (position: number | null) => void;
  testid?: string;
}

/**
 * Each position of one sample as a stack of its top-k candidate tokens,
 * shaded by the prediction's probability (√p, so that a 1 % candidate stays
 * visible next to a 90 % one) or by the state z_t's value. The cells are a
 * figure on white paper in both colour schemes (candidateShade.ts).
 */
export function CandidateColumns({ f, prev, pieces, length, sample, mode, selected = null, onSelect, testid = 'superposition' }: ColumnsProps) {
  const k = f.k;
  return (
    <div className="superposition" data-testid={testid} data-step={f.step}>
      {Array.from({ length }, (_, p) => {
        const r = sample * length + p;
        const ids = mode === 'prediction' ? f.pIds : f.zIds;
        const vals = mode === 'prediction' ? f.pProbs : f.zVals;
        const top = Math.max(1, vals[r * k]);
        const changed = prev && prev.argmaxZ[r] !== f.argmaxZ[r];
        return (
          <button
            type="button" key={p} data-testid="position" data-pos={p}
            className={`pos${selected === p ? ' selected' : ''}${changed ? ' changed' : ''}`}
            title={`position ${p}: entropy ${f.entropy[r].toFixed(2)} nats`}
            onClick={() => onSelect?.(selected === p ? null : p)}
          >
            <span className="idx">{p}</span>
            {Array.from({ length: k }, (_, j) => {
              const v = vals[r * k + j];
              const alpha = mode === 'prediction' ? Math.sqrt(Math.max(0, v)) : Math.max(0, v) / top;
              return (
                <span
                  key={j} className="cand"
                  style={{ background: candidateBackground(alpha), color: CANDIDATE_INK }}
                  title={`${JSON.stringify(pieces[ids[r * k + j]])}: ${mode === 'prediction' ? 'p' : 'z'} = ${v.toFixed(4)}`}
                >
                  {visiblePiece(pieces[ids[r * k + j]])}
                </span>
              );
            })}
          </button>
        );
      })}
    </div>
  );
}
