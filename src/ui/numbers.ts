/**
 * What a number box holds, read as the setting it edits: a blank box, text
 * that is no number, a fraction where a count is meant or a value out of
 * range is refused at once, with the reason, and the setting keeps its last
 * good value (never NaN, never a blank hidden size read as 0).
 */
export interface NumberRule {
  /** What the box sets, for the message ('Steps', 'hidden'). */
  name: string;
  min?: number;
  max?: number;
  /** A count (steps, a size): whole numbers only. */
  integer?: boolean;
  /** The lowest value is excluded (a learning rate above 0). */
  above?: boolean;
}

export type ParsedNumber = { ok: true; value: number } | { ok: false; message: string };

function range(r: NumberRule): string {
  const kind = r.integer ? 'a whole number' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}`;
  if (r.min !== undefined) return `${kind} ${r.above ? 'above' : 'of at least'} ${r.min}`;
  if (r.max !== undefined) return `${kind} up to ${r.max}`;
  return kind;
}

export function parseNumber(text: string, r: NumberRule): ParsedNumber {
  const t = text.trim();
  const bad = (): ParsedNumber => ({ ok: false, message: `${r.name} must be ${range(r)}` });
  if (t === '') return bad();
  const v = Number(t);
  if (!Number.isFinite(v)) return bad();
  if (r.integer && !Number.isInteger(v)) return bad();
  if (r.min !== undefined && (r.above ? v <= r.min : v < r.min)) return bad();
  if (r.max !== undefined && v > r.max) return bad();
  return { ok: true, value: v };
}
