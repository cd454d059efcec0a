import { useEffect, useState } from 'react';
import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../../util/format.ts';

interface Props {
  frames: FrameSummary[];
  pieces: string[];
  length: number;
  sample: number;
  /** Candidates overlaid per position in the superposition. */
  k?: number;
}

/** Milliseconds each stage is held before the next. */
const NOISE_MS = 450;
const STAGE_MS = 900;

const reducedMotion = () => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

/**
 * Text condensing out of noise, for the Demo: the argmax of the noise z₀,
 * then each frame's superposition (every position's top candidates drawn on
 * top of each other, opacity = probability), then the final text; positions
 * the model is sure of settle first. With one step that is noise →
 * the one-step distribution → text.
 */
export function Condense({ frames, pieces, length, sample, k = 4 }: Props) {
  const last = frames.length - 1;
  // stage −1: noise; 0..last−1: superposition of frame i's prediction; last: text
  const [stage, setStage] = useState(() => (reducedMotion() ? last : -1));
  useEffect(() => {
    if (stage >= last) return;
    const id = setTimeout(() => setStage(stage + 1), stage < 0 ? NOISE_MS : STAGE_MS);
    return () => clearTimeout(id);
  }, [stage, last]);

  const fin = frames[last];
  const first = frames[0];
  const maxH = Math.log(pieces.length || 2);
  return (
    <div className="condense" data-testid="condense" data-stage={stage >= last ? 'text' : stage < 0 ? 'noise' : 'superposition'} aria-live="polite">
      {Array.from({ length }, (_, p) => {
        const r = sample * length + p;
        const finalId = fin.argmaxZ[r];
        // The certainty of the first prediction orders the settling: sure positions first.
        const delay = Math.round(Math.min(1, first.entropy[r] / maxH) * 700);
        const text = stage >= last;
        let layers: { id: number; alpha: number }[];
        if (stage < 0) layers = [{ id: first.argmaxZ[r], alpha: 1 }];
        else {
          // In the text stage the last superposition stays, its other candidates fading out.
          const f = frames[Math.min(stage, last - 1)], kk = Math.min(k, f.k);
          layers = Array.from({ length: kk }, (_, j) => ({ id: f.pIds[r * f.k + j], alpha: text ? 0 : f.pProbs[r * f.k + j] }));
        }
        // Keep the final token's layer in every stage so it can fade in where it is.
        const mine = layers.find((l) => l.id === finalId);
        if (mine) { if (text) mine.alpha = 1; } else layers.push({ id: finalId, alpha: text ? 1 : 0 });
        return (
          <span key={p} className={`cell${stage < 0 ? ' noise' : ''}`}>
            {layers.map((l) => (
              <span
                key={l.id} className="layer"
                style={{ opacity: text ? l.alpha : Math.max(0.06, Math.min(1, Math.sqrt(l.alpha))), transitionDelay: text ? `${delay}ms` : '0ms' }}
              >
                {visiblePiece(pieces[l.id])}
              </span>
            ))}
          </span>
        );
      })}
    </div>
  );
}
