/**
 * Stage 2 of a distillation takes an FLM teacher f and a stage-1 flow map g
 * distilled from that same f: a flow map of another teacher maps another
 * model's flow, and the student would learn a mix of two models. A flow map
 * records its teacher (distill.teacherF: name, step and weights
 * fingerprint), so the mismatch is refused before any work.
 */
import type { Checkpoint } from '../src/io/checkpoint.ts';
import { weightsFingerprint } from '../src/model/weights.ts';

/** Why `g` cannot be stage 2's flow map for the teacher `f` (null: it can; a flow map that records no teacher is taken on trust). */
export function stage2TeacherProblem(f: Checkpoint, g: Checkpoint): string | null {
  const made = g.meta.distill?.teacherF;
  if (!made || made.fingerprint === weightsFingerprint(f)) return null;
  const fName = f.meta.name ? `"${f.meta.name}"` : 'the FLM chosen';
  return `the stage-1 flow map "${g.meta.name}" was distilled from the FLM "${made.name}" (step ${made.step}), not from ${fName} `
    + `(step ${f.meta.step}): stage 2 needs a flow map of the same teacher — distil one from it in stage 1, or choose its own teacher`;
}
