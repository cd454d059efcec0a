import { describe, expect, it } from 'vitest';
import { axisTicks, labelAlign, massScaleEnds, rowHeight, scaleEnds, tickEvery } from '../../src/ui/visualizer/heatmapAxes.ts';

describe('the heatmap\'s axes and colour scale', () => {
  it('label positions and frames: the first, every n-th and the last', () => {
    expect(tickEvery(64, 8)).toBe(8);
    expect(axisTicks(64, 8)).toEqual([0, 8, 16, 24, 32, 40, 48, 56, 63]);
    expect(axisTicks(9, tickEvery(9, 6))).toEqual([0, 2, 4, 6, 8]);
    expect(axisTicks(2, 1)).toEqual([0, 1]);
    expect(axisTicks(1, 4)).toEqual([0]);
    expect(axisTicks(0, 4)).toEqual([]);
    // The last label replaces a tick right next to it.
    expect(axisTicks(17, 8)).toEqual([0, 8, 16]);
    expect(axisTicks(18, 8)).toEqual([0, 8, 17]);
  });

  it('say what the colour scale\'s ends mean', () => {
    expect(scaleEnds('entropy')).toEqual({ low: '0: certain', high: '1: uniform', title: 'entropy of the prediction / ln V' });
    expect(scaleEnds('final').title).toBe('probability of the finally chosen token');
    expect(massScaleEnds(8)).toEqual({ low: '0', high: '1: all of p in the top-8', title: "probability mass of the prediction's top-8 candidates" });
  });

  it('give positions a row height that keeps a panel about 480 px tall', () => {
    expect([1, 48, 64, 256, 1024].map(rowHeight)).toEqual([10, 10, 7, 2, 2]);
  });

  it('keep the labels at the ends of an axis inside it', () => {
    expect([0, 0.012, 0.25, 0.5, 0.75, 0.988, 1].map(labelAlign)).toEqual(['start', 'start', undefined, undefined, undefined, 'end', 'end']);
  });
});
