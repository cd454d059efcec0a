import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, configFromMetadata, configToMetadata, defaultConfig } from '../../src/model/config.ts';

describe('DiT config from metadata', () => {
  const owt = defaultConfig({ vocab: 50_258, length: 1024, hidden: 768, heads: 12, blocks: 12, cond: 128, twoTime: true });

  it('round-trips the paper\'s largest shape (OpenWebText)', () => {
    expect(configFromMetadata(configToMetadata(owt))).toEqual(owt);
  });

  it.each([
    ['length', 'length', '16384'], ['length', 'length', '100000'], ['vocab', 'vocab', '2000000000'],
    ['hidden', 'hidden_size', '65536'], ['blocks', 'n_blocks', '10000'],
  ])('refuses an impossible %s before anything is allocated, naming the limit', (field, key, value) => {
    const m = { ...configToMetadata(owt), [key]: value };
    expect(() => configFromMetadata(m)).toThrow(new RegExp(`${field} ${value} is above the limit of ${CONFIG_LIMITS[field as keyof typeof CONFIG_LIMITS]}`));
  });

  it('refuses fractions, zeros and negative softcaps', () => {
    expect(() => configFromMetadata({ ...configToMetadata(owt), length: '12.5' })).toThrow(/length must be a positive integer/);
    expect(() => configFromMetadata({ ...configToMetadata(owt), n_heads: '0' })).toThrow(/heads must be a positive integer/);
    expect(() => configFromMetadata({ ...configToMetadata(owt), softcap: '-1' })).toThrow(/softcap/);
  });
});
