import { useEffect } from 'react';
import { useSample } from '../sampleStore.ts';

/** The time scrubber over the recorded frames, with play / pause. */
export function Scrubber() {
  const { frames, frame, setFrame, playing, setPlaying, status } = useSample();
  const last = frames.length - 1;
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => {
      const k = useSample.getState().frame;
      if (k >= useSample.getState().frames.length - 1) setPlaying(false);
      else setFrame(k + 1);
    }, 400);
    return () => clearInterval(id);
  }, [playing, setFrame, setPlaying]);
  const f = frames[frame];
  return (
    <div className="row scrubber">
      <button type="button" data-testid="play" disabled={frames.length < 2 || status === 'sampling'} onClick={() => setPlaying(!playing)}>
        {playing ? 'Pause' : 'Play'}
      </button>
      <input
        type="range" data-testid="scrubber" aria-label="frame" min={0} max={Math.max(0, last)} step={1} value={frame}
        disabled={frames.length === 0} onChange={(e) => { setPlaying(false); setFrame(Number(e.target.value)); }}
      />
      <span className="stats" data-testid="frame-label" data-frame={frame} data-frames={frames.length}>
        {f ? `frame ${frame} / ${last} · t = ${f.t.toFixed(3)} · γ = ${f.gamma.toFixed(3)}` : 'no frames yet'}
      </span>
    </div>
  );
}
