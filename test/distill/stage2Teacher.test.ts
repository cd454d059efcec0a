import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { stage2TeacherProblem } from '../../workers/distillTeachers.ts';

const bundled = (name: string) => decodeCheckpoint(new Uint8Array(readFileSync(new URL(`../../public/models/${name}`, import.meta.url))));

describe("the studio's stage-2 teacher check", () => {
  const flm = bundled('flm-micro-char.safetensors'), g = bundled('flowmap-micro-char.safetensors');

  it('takes the flow map distilled from the chosen FLM', () => {
    expect(stage2TeacherProblem(flm, g)).toBeNull();
  });

  it('refuses a flow map distilled from another teacher, naming both', () => {
    // Another FLM: the same model trained one step further (other weights, so another fingerprint).
    const params = flm.params.slice();
    params[0] += 0.01;
    const other = { ...flm, params, ...(flm.ema ? { ema: flm.ema.map((x, i) => (i === 0 ? x + 0.01 : x)) } : {}), meta: { ...flm.meta, name: 'another FLM', step: 999 } };
    const why = stage2TeacherProblem(other, g);
    expect(why).toMatch(/^the stage-1 flow map ".*" was distilled from the FLM ".*" \(step \d+\), not from "another FLM" \(step 999\): stage 2 needs a flow map of the same teacher/);
  });

  it('takes a flow map that records no teacher on trust', () => {
    const { distill: _, ...meta } = g.meta;
    expect(stage2TeacherProblem(flm, { ...g, meta })).toBeNull();
  });
});
