import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { visiblePiece } from '../../util/format.ts';
import { useSample } from '../sampleStore.ts';
import { describeFlips, flipTimeline, fmtT, summarizeFlips, type PositionFlips } from './flipTimeline.ts';
import { axisTicks, labelAlign, rowHeight, tickEvery } from './heatmapAxes.ts';
import { PositionAxis } from './PositionAxis.tsx';
import './panels.css';

/** The plot's width in viewBox units (stretched to the page's width) and its margin on either side. */
const W = 1000, PAD = 12;
const x = (t: number) => PAD + t * (W - 2 * PAD);
/** Above this many flips the ticks get no wider invisible hover targets (the SVG stays light). */
const HOVER_TARGETS_UP_TO = 4000;

const piece = (pieces: string[], id: number) => JSON.stringify(visiblePiece(pieces[id] ?? `⟨${id}⟩`));
const flipText = (pieces: string[], f: { t: number; from: number; to: number }) => `t ${fmtT(f.t)}: ${piece(pieces, f.from)} → ${piece(pieces, f.to)}`;

/**
 * Per position of the selected sample, a track over t (0 → 1): a tick where
 * its argmax token flips (hover: the new token), the last flip (where it
 * settles) marked apart, the track solid from then on. Follows "Cells show":
 * the prediction's argmax or the state's (the frame's text). Click a track to
 * jump to that position and the nearest frame; the table lists the same.
 */
export function FlipTimeline({ pieces, length }: { pieces: string[]; length: number }) {
  const { frames, frame, sample, position, source, sampling } = useSample(useShallow((s) => ({
    frames: s.frames, frame: s.frame, sample: s.sample, position: s.position, source: s.cellMode, sampling: s.status === 'sampling',
  })));
  const { setFrame, selectPosition, setPlaying } = useSample(useShallow((s) => ({ setFrame: s.setFrame, selectPosition: s.selectPosition, setPlaying: s.setPlaying })));
  const timeline = useMemo(() => flipTimeline(frames, sample * length, length, source), [frames, sample, length, source]);
  const summary = useMemo(() => summarizeFlips(timeline), [timeline]);
  const [tableOpen, setTableOpen] = useState(false);
  if (!frames.length) return null;

  const rh = rowHeight(length), H = length * rh;
  const t0 = frames[0].t, tEnd = frames[frames.length - 1].t;
  const hoverTargets = summary.flips <= HOVER_TARGETS_UP_TO;
  const words = describeFlips(summary, frames.length, source);
  const onClick = (e: React.MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const p = Math.floor(((e.clientY - r.top) / r.height) * length);
    const t = (((e.clientX - r.left) / r.width) * W - PAD) / (W - 2 * PAD);
    let best = 0;
    frames.forEach((f, i) => { if (Math.abs(f.t - t) < Math.abs(frames[best].t - t)) best = i; });
    setPlaying(false);
    setFrame(best);
    if (p >= 0 && p < length) selectPosition(p);
  };
  const ys = axisTicks(length, tickEvery(length, 8)), xs = axisTicks(frames.length, tickEvery(frames.length, 5));
  const noun = source === 'prediction' ? 'predicted token (argmax of softmax(DiT(z_t, t)))' : 'text token (argmax of z_t)';

  return (
    <figure className="tpanel" data-testid="flip-timeline-panel">
      <h3 id="flip-timeline-title">When each position's token flips and settles (sample {sample})</h3>
      <p className="summary stats" data-testid="flip-summary" data-median-settle={summary.medianSettleT} data-flips={summary.flips}>
        {words}{sampling && ' (so far: sampling)'}
      </p>
      <div className="tpanel-grid">
        <PositionAxis ticks={ys} rowHeight={rh} height={H} />
        <svg
          className="tpanel-plot" data-testid="flip-timeline" data-positions={length} data-frames={frames.length}
          viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" style={{ height: H }} onClick={onClick}
          role="img" aria-labelledby="flip-timeline-title" aria-describedby="flip-timeline-desc"
        >
          <desc id="flip-timeline-desc">{`${length} positions by ${frames.length} frames, t ${fmtT(t0)} to ${fmtT(tEnd)}. ${words}`}</desc>
          {timeline.map((pf, p) => (
            <Track key={p} pf={pf} p={p} rh={rh} t0={t0} tEnd={tEnd} pieces={pieces} selected={p === position} hoverTargets={hoverTargets} />
          ))}
          {frames[frame] && (
            <line className="tl-frame" x1={x(frames[frame].t)} x2={x(frames[frame].t)} y1={0} y2={H} strokeWidth={1.5} vectorEffect="non-scaling-stroke" pointerEvents="none" />
          )}
        </svg>
        <span aria-hidden="true" />
        <div className="tpanel-x" aria-hidden="true" data-testid="flip-timeline-x-axis">
          {xs.map((i) => <span key={i} className={labelAlign(x(frames[i].t) / W)} style={{ left: `${(x(frames[i].t) / W) * 100}%` }}>t {fmtT(frames[i].t)}</span>)}
        </div>
      </div>
      <div className="tpanel-scale" aria-hidden="true">
        <span className="tpanel-key"><i className="tl-open" />before it settles</span>
        <span className="tpanel-key"><i className="tl-settled" />settled</span>
        <span className="tpanel-key"><i className="tick tl-flip" />flip</span>
        <span className="tpanel-key"><i className="tick tl-settle" />last flip: settles</span>
        <span className="tpanel-key"><i className="tick tl-frame" />this frame</span>
      </div>
      <figcaption>
        rows: positions, across: t from {fmtT(t0)} to {fmtT(tEnd)}; a flip is a change of the {noun} from one frame to the next
        ("Cells show" picks which argmax). Hover a tick for its tokens; click to jump to that position and frame.
      </figcaption>
      <details onToggle={(e) => setTableOpen(e.currentTarget.open)}>
        <summary>Flips and settle t per position (table)</summary>
        {tableOpen && <FlipTable timeline={timeline} pieces={pieces} />}
      </details>
    </figure>
  );
}

function Track({ pf, p, rh, t0, tEnd, pieces, selected, hoverTargets }: {
  pf: PositionFlips; p: number; rh: number; t0: number; tEnd: number; pieces: string[]; selected: boolean; hoverTargets: boolean;
}) {
  const y0 = p * rh, yc = y0 + rh / 2, track = Math.max(1, rh * 0.35);
  const last = pf.flips.length - 1;
  const title = `position ${p}: ${pf.flips.length} flip${pf.flips.length === 1 ? '' : 's'}, settled from t ${fmtT(pf.settleT)} on as ${piece(pieces, pf.final)}`;
  return (
    <g data-position={p} data-flips={pf.flips.length} data-settle-t={pf.settleT}>
      <rect className={`tl-row${selected ? ' selected' : ''}`} x={0} y={y0} width={W} height={rh}><title>{title}</title></rect>
      {pf.settleT > t0 && <line className="tl-open" x1={x(t0)} x2={x(pf.settleT)} y1={yc} y2={yc} strokeWidth={track} vectorEffect="non-scaling-stroke" />}
      {pf.settleT < tEnd && <line className="tl-settled" x1={x(pf.settleT)} x2={x(tEnd)} y1={yc} y2={yc} strokeWidth={track} vectorEffect="non-scaling-stroke" />}
      {pf.flips.map((f, i) => (
        <g key={f.frame} data-flip-t={f.t} data-settles={i === last || undefined}>
          <title>{`${i === last ? 'settles' : 'flip'} at ${flipText(pieces, f)}`}</title>
          {hoverTargets && <line x1={x(f.t)} x2={x(f.t)} y1={y0} y2={y0 + rh} stroke="transparent" strokeWidth={8} vectorEffect="non-scaling-stroke" />}
          <line
            className={i === last ? 'tl-settle' : 'tl-flip'} x1={x(f.t)} x2={x(f.t)} y1={y0 + 0.5} y2={y0 + rh - 0.5}
            strokeWidth={i === last ? 3 : 1.5} vectorEffect="non-scaling-stroke"
          />
        </g>
      ))}
    </g>
  );
}

/** The timeline as a table (what the keyboard and a screen reader get). */
function FlipTable({ timeline, pieces }: { timeline: PositionFlips[]; pieces: string[] }) {
  return (
    <div className="table-scroll">
      <table data-testid="flip-table">
        <thead><tr><th scope="col">Position</th><th scope="col">Flips</th><th scope="col">Settled from t</th><th scope="col">Flips at t (from → to)</th></tr></thead>
        <tbody>
          {timeline.map((pf, p) => (
            <tr key={p}>
              <th scope="row">{p}</th>
              <td>{pf.flips.length}</td>
              <td>{fmtT(pf.settleT)} ({piece(pieces, pf.final)})</td>
              <td className="tokens">{pf.flips.length ? pf.flips.map((f) => flipText(pieces, f)).join('; ') : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
