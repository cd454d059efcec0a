import { useEffect, useRef, useState, type ClipboardEvent } from 'react';
import type { FrameSummary } from '../../sampling/frames.ts';
import { visiblePiece } from '../../util/format.ts';

interface Props {
  frames: FrameSummary[];
  pieces: string[];
  length: number;
  sample: number;
  /** Candidates overlaid per position in the superposition. */
  k?: number;
  /** The sample's text (what copying it gives and what a screen reader hears). */
  text: string;
}

/**
 * The text of the positions a selection covers: the final tokens' own text
 * (real spaces and line breaks), never the candidate layers drawn over them.
 */
export function selectedText(pieces: string[], finalIds: ArrayLike<number>, positions: number[]): string {
  return positions.map((p) => pieces[finalIds[p]] ?? '').join('');
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
export function Condense({ frames, pieces, length, sample, k = 4, text: sampleText }: Props) {
  const root = useRef<HTMLDivElement>(null);
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
  const finalIds = Array.from({ length }, (_, p) => fin.argmaxZ[sample * length + p]);
  // Copying gives the sample's text: the positions the selection covers (all of them: the whole text).
  const onCopy = (e: ClipboardEvent<HTMLDivElement>) => {
    const sel = globalThis.getSelection?.();
    if (!sel || sel.rangeCount === 0 || !root.current) return;
    const range = sel.getRangeAt(0);
    if (!root.current.contains(range.commonAncestorContainer)) return;
    const cells = [...root.current.querySelectorAll<HTMLElement>('.cell')];
    const covered = cells.filter((c) => range.intersectsNode(c)).map((c) => Number(c.dataset.pos));
    const text = covered.length === length ? sampleText : selectedText(pieces, finalIds, covered);
    e.clipboardData.setData('text/plain', text);
    e.preventDefault();
  };
  const done = stage >= last;
  return (
    <div className="condense" ref={root} data-testid="condense" data-stage={done ? 'text' : stage < 0 ? 'noise' : 'superposition'} onCopy={onCopy}>
      {/* What a screen reader hears: the text once it has settled, never the candidate layers. */}
      <span className="sr-only" aria-live="polite" data-testid="condense-text">{done ? sampleText : ''}</span>
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
          <span key={p} data-pos={p} aria-hidden="true" className={`cell${stage < 0 ? ' noise' : ''}`}>
            {layers.map((l) => (
              <span
                key={l.id} className={l.id === finalId ? 'layer final' : 'layer'}
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
