/**
 * The left column of a panel with positions down the side (the flip
 * timeline, the top-k mass heatmap): its corner label, the empty cell
 * beside it, and a tick label at each of `ticks`, `rowHeight` px a position.
 */
export function PositionAxis({ ticks, rowHeight, height }: { ticks: number[]; rowHeight: number; height: number }) {
  return (
    <>
      <span className="tpanel-corner" aria-hidden="true">pos.</span>
      <span aria-hidden="true" />
      <div className="tpanel-y" style={{ height }} aria-hidden="true">
        {ticks.map((p) => <span key={p} style={{ top: p * rowHeight + rowHeight / 2 }}>{p}</span>)}
      </div>
    </>
  );
}
