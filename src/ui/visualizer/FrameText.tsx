import { useShallow } from 'zustand/react/shallow';
import { visiblePiece } from '../../util/format.ts';
import { useSample } from '../sampleStore.ts';

/**
 * Every sample's text at the current frame (argmax of z_t per position),
 * whitespace made visible, positions that changed since the previous frame
 * highlighted. `data-text` holds the worker's decoded text of the frame.
 */
export function FrameText({ pieces, length }: { pieces: string[]; length: number }) {
  const { f, prev, sample, position } = useSample(useShallow((s) => ({
    f: s.frames[s.frame], prev: s.frames[s.frame - 1], sample: s.sample, position: s.position,
  })));
  const { setSample, selectPosition } = useSample(useShallow((s) => ({ setSample: s.setSample, selectPosition: s.selectPosition })));
  if (!f) return null;
  const count = f.argmaxZ.length / length;
  return (
    <div className="frame-texts">
      {Array.from({ length: count }, (_, i) => (
        <div
          key={i} className={`frame-text${i === sample ? ' current' : ''}`} data-testid="frame-text" data-sample={i}
          data-text={f.texts?.[i] ?? ''} onClick={() => setSample(i)}
        >
          {Array.from({ length }, (_, p) => {
            const r = i * length + p, id = f.argmaxZ[r], piece = pieces[id];
            const changed = prev && prev.argmaxZ[r] !== id;
            return (
              <span
                key={p} className={`tok${changed ? ' changed' : ''}${i === sample && position === p ? ' selected' : ''}`}
                onClick={(e) => { e.stopPropagation(); setSample(i); selectPosition(p); }}
              >
                {visiblePiece(piece)}{/\n/.test(piece) && <br />}
              </span>
            );
          })}
        </div>
      ))}
    </div>
  );
}
