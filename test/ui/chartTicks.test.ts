import { describe, expect, it } from 'vitest';
import { STEP_INCRS, stepLabels, tickLabels } from '../../src/ui/chartTicks.ts';

describe('chart ticks', () => {
  it('put a step axis\'s ticks on whole steps only', () => {
    expect(STEP_INCRS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(STEP_INCRS.every(Number.isInteger)).toBe(true);
    expect(stepLabels([1, 1.5, 2, 2.5, 3])).toEqual(['1', '', '2', '', '3']);
  });

  it('label value ticks with enough decimals to tell them apart, and no more', () => {
    expect(tickLabels([2.5, 2.5005, 2.501, 2.5015])).toEqual(['2.5000', '2.5005', '2.5010', '2.5015']);
    expect(tickLabels([3, 3.5, 4])).toEqual(['3.0', '3.5', '4.0']);
    expect(tickLabels([0, 1, 2])).toEqual(['0', '1', '2']);
    expect(tickLabels([0.0001, 0.0002, 0.0003])).toEqual(['0.0001', '0.0002', '0.0003']);
    for (const splits of [[4.18, 4.185, 4.19], [1e-5, 1.5e-5, 2e-5], [10, 20, 30]]) {
      const labels = tickLabels(splits);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });
});
