import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../format.ts';
import { useSample } from '../sampleStore.ts';

/**
 * Each position of one sample as a stack of its top-k candidate tokens,
 * shaded by the prediction's probability (or by the state z_t's value),
 * for the current frame.
 */
export function Superposition({ pieces, length }: { pieces: string[]; length: number }) {
  const { frames, frame, sample, position, selectPosition, cellMode } = useSample();
  const f: FrameSummary | undefined = frames[frame];
  if (!f) return null;
  const prev = frames[frame - 1];
  const k = f.k;
  return (
    <div className="superposition" data-testid="superposition" data-frame={frame}>
      {Array.from({ length }, (_, p) => {
        const r = sample * length + p;
        const ids = cellMode === 'prediction' ? f.pIds : f.zIds;
        const vals = cellMode === 'prediction' ? f.pProbs : f.zVals;
        const top = Math.max(1, vals[r * k]);
        const changed = prev && prev.argmaxZ[r] !== f.argmaxZ[r];
        return (
          <button
            type="button" key={p} data-testid="position" data-pos={p}
            className={`pos${position === p ? ' selected' : ''}${changed ? ' changed' : ''}`}
            title={`position ${p}: entropy ${f.entropy[r].toFixed(2)} nats`}
            onClick={() => selectPosition(position === p ? null : p)}
          >
            <span className="idx">{p}</span>
            {Array.from({ length: k }, (_, j) => {
              const v = vals[r * k + j];
              // √p: a 1% candidate stays visible next to a 90% one
              const alpha = cellMode === 'prediction' ? Math.sqrt(Math.max(0, v)) : Math.max(0, v) / top;
              return (
                <span
                  key={j} className="cand"
                  style={{ background: `rgba(31, 111, 235, ${Math.max(0, Math.min(1, alpha)).toFixed(3)})`, color: alpha > 0.55 ? '#fff' : '#1b1f24' }}
                  title={`${JSON.stringify(pieces[ids[r * k + j]])}: ${cellMode === 'prediction' ? 'p' : 'z'} = ${v.toFixed(4)}`}
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
