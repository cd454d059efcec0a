import { describe, expect, it } from 'vitest';
import { parseNumber } from '../../src/ui/numbers.ts';

describe('number boxes read as settings', () => {
  const steps = { name: 'Steps', integer: true, min: 1 };
  it('refuse Steps 0, a blank box and a fraction at once, with the reason (never NaN, never 0)', () => {
    expect(parseNumber('0', steps)).toEqual({ ok: false, message: 'Steps must be a whole number of at least 1' });
    expect(parseNumber('', steps)).toEqual({ ok: false, message: 'Steps must be a whole number of at least 1' });
    expect(parseNumber('1.5', steps).ok).toBe(false);
    expect(parseNumber('40', steps)).toEqual({ ok: true, value: 40 });
  });

  it('refuse a blank custom hidden size instead of reading it as 0', () => {
    const hidden = { name: 'hidden', integer: true, min: 1 };
    expect(parseNumber('', hidden)).toEqual({ ok: false, message: 'hidden must be a whole number of at least 1' });
    expect(parseNumber('  ', hidden).ok).toBe(false);
    expect(parseNumber('64', hidden)).toEqual({ ok: true, value: 64 });
  });

  it('keep ranges and open bounds (a learning rate above 0, dropout up to 0.9, a seed up to 2^31 - 1)', () => {
    expect(parseNumber('0', { name: 'learning rate', min: 0, above: true })).toEqual({ ok: false, message: 'learning rate must be a number above 0' });
    expect(parseNumber('1e-3', { name: 'learning rate', min: 0, above: true })).toEqual({ ok: true, value: 0.001 });
    expect(parseNumber('0.95', { name: 'dropout', min: 0, max: 0.9 })).toEqual({ ok: false, message: 'dropout must be a number from 0 to 0.9' });
    expect(parseNumber('2147483648', { name: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1 }).ok).toBe(false);
    expect(parseNumber('Infinity', { name: 'x' }).ok).toBe(false);
  });
});
