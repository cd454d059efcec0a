import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useSample } from '../sampleStore.ts';

/** The time scrubber over the recorded frames, with play / pause. */
export function Scrubber() {
  const { count, frame, f, playing, status } = useSample(useShallow((s) => ({
    count: s.frames.length, frame: s.frame, f: s.frames[s.frame], playing: s.playing, status: s.status,
  })));
  const { setFrame, setPlaying, tick } = useSample(useShallow((s) => ({ setFrame: s.setFrame, setPlaying: s.setPlaying, tick: s.tick })));
  const last = count - 1;
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(tick, 400);
    return () => clearInterval(id);
  }, [playing, tick]);
  return (
    <div className="row scrubber">
      <button type="button" data-testid="play" disabled={count < 2 || status === 'sampling'} onClick={() => setPlaying(!playing)}>
        {playing ? 'Pause' : 'Play'}
      </button>
      <input
        type="range" data-testid="scrubber" aria-label="frame" min={0} max={Math.max(0, last)} step={1} value={frame}
        disabled={count === 0} onChange={(e) => { setPlaying(false); setFrame(Number(e.target.value)); }}
      />
      <span className="stats" data-testid="frame-label" data-frame={frame} data-frames={count}>
        {f ? `frame ${frame} / ${last} · t = ${f.t.toFixed(3)} · γ = ${f.gamma.toFixed(3)}` : 'no frames yet'}
      </span>
    </div>
  );
}
