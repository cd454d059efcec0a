/** Formatting for people (times, losses, visible whitespace): DOM-free, used by the UI and the CLI. */
export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const total = Math.round(s);
  const m = Math.floor(total / 60), r = total % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(r).padStart(2, '0')}`;
}

/** Spaces, tabs and line breaks made visible (an early model's samples are often mostly spaces). */
export const visibleWhitespace = (s: string): string => s.replace(/ /g, '·').replace(/\t/g, '→').replace(/\n/g, '↵\n');

/** One token's text for a single-line cell: whitespace visible, line breaks as ↵. */
export const visiblePiece = (s: string): string => (s === '' ? '∅' : s.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r?\n/g, '↵'));


/** A loss for people: 4 decimals, or 3 significant digits when it is small (distillation errors). */
export function fmtLoss(x: number): string {
  return x !== 0 && Math.abs(x) < 0.01 ? x.toExponential(3) : x.toFixed(4);
}

/** Bytes in MiB for people: one decimal below 10 MB, none above. */
export function fmtMB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;
}

/** A signed fraction as a percentage with one decimal ("−6.7 %", "+1.2 %"), or "—" for none (an entropy against real text's). */
export function fmtSignedPercent(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const pct = Math.abs(x * 100).toFixed(1);
  return `${x < 0 && pct !== '0.0' ? '−' : '+'}${pct} %`;
}
