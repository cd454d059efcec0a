/**
 * The Demo's comparison: where the one-step sample and the FLM's N-step
 * sample from the same noise differ, token by token, and what each cost in
 * network evaluations. Pure functions, no DOM.
 */
import type { ModelKind } from '../../workers/protocol.ts';

/** One position of a sample: its token's text, and whether the other sample has the same token there. */
export interface DiffCell { pos: number; text: string; same: boolean }

export interface SampleDiff {
  /** The first sample's positions (`a`), each marked same or different against `b`. */
  a: DiffCell[];
  /** The second sample's positions, marked the same way. */
  b: DiffCell[];
  /** Positions whose tokens differ (a position only one sample has counts as different). */
  differing: number;
  /** Positions compared: the longer sample's length. */
  total: number;
}

/**
 * Compare two token sequences position by position (the samplers write every
 * position of a fixed length from the same noise, so position i of one is
 * position i of the other). `piece` gives a token's text.
 */
export function tokenDiff(a: readonly number[], b: readonly number[], piece: (token: number) => string): SampleDiff {
  const total = Math.max(a.length, b.length);
  const same = (i: number) => i < a.length && i < b.length && a[i] === b[i];
  const cells = (s: readonly number[]) => s.map((t, pos) => ({ pos, text: piece(t), same: same(pos) }));
  let differing = 0;
  for (let i = 0; i < total; i++) if (!same(i)) differing++;
  return { a: cells(a), b: cells(b), differing, total };
}

/** Network evaluations for one sample: one per step, two for a stage-1 flow map (its teacher and itself). */
export function networkEvaluations(kind: ModelKind, steps: number): number {
  return kind === 'flowmap' ? 2 * steps : steps;
}

/** Runs of neighbouring cells with the same mark, so a sample renders as a few spans rather than one per token. */
export function runsOf(cells: readonly DiffCell[]): { text: string; same: boolean; from: number }[] {
  const runs: { text: string; same: boolean; from: number }[] = [];
  for (const c of cells) {
    const last = runs[runs.length - 1];
    if (last && last.same === c.same) last.text += c.text;
    else runs.push({ text: c.text, same: c.same, from: c.pos });
  }
  return runs;
}
