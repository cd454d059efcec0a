import { describe, expect, it } from 'vitest';
import { modelLabel } from '../../src/ui/labels.ts';

describe('model names in the pickers', () => {
  it('say a step once: a name that holds "(step 400)" is not followed by another', () => {
    expect(modelLabel('base (step 400)', 'step 400')).toBe('base (step 400)');
    expect(modelLabel('base (step 400)', 'flm, step 400')).toBe('base (step 400) (flm)');
    expect(modelLabel('base, step 400', 'flm, step 400')).toBe('base, step 400 (flm)');
  });

  it('keep the detail the name does not say, whole words only', () => {
    expect(modelLabel('base', 'flm, step 400')).toBe('base (flm, step 400)');
    // "step 4" is not said by "step 400"
    expect(modelLabel('base (step 400)', 'flm, step 4')).toBe('base (step 400) (flm, step 4)');
    expect(modelLabel('FLM micro (Brown, characters)', 'bundled')).toBe('FLM micro (Brown, characters) (bundled)');
    expect(modelLabel('x', '')).toBe('x');
  });
});
