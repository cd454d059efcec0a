import { describe, expect, it } from 'vitest';
import { exportFileName, uniqueName } from '../../src/ui/checkpointNames.ts';
import { continueTarget } from '../../src/ui/reducers/train.ts';

describe('checkpoint names', () => {
  it('give each new run a name no stored checkpoint has', () => {
    const base = 'micro on Brown corpus (bundled)';
    expect(uniqueName(base, [])).toBe(base);
    expect(uniqueName(base, [base])).toBe(`${base} #2`);
    expect(uniqueName(base, [base, `${base} #2`, 'other'])).toBe(`${base} #3`);
  });

  it('export under a plain file name: the name in lower-case words and the step', () => {
    expect(exportFileName('micro on Brown corpus (bundled)', 200)).toBe('micro-on-brown-corpus-bundled-step200.safetensors');
    expect(exportFileName('FMLM of Ünïcode — test #2', 5)).toBe('fmlm-of-unicode-test-2-step5.safetensors');
    expect(exportFileName('???', 1)).toBe('checkpoint-step1.safetensors');
    expect(exportFileName('micro', 7, 'onnx')).toBe('micro-step7.onnx');
  });

  it('Continue means the same in Train and Distill: the Steps setting, or that many more once reached', () => {
    // Train with Steps 200 after a finished 200-step run (was 201), Distill with Steps 100 after 100 (was +100 there).
    expect(continueTarget(200, 200)).toBe(400);
    expect(continueTarget(100, 100)).toBe(200);
    // A paused run continues to the setting.
    expect(continueTarget(3, 5)).toBe(5);
  });
});
