import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors, toFloat32, writeSafetensors } from '../../src/io/safetensors.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { fixtureBytes, randomArray } from '../helpers.ts';

const cfg = defaultConfig({ vocab: 11, length: 8, hidden: 16, heads: 2, blocks: 1, cond: 8 });
const layout = paramLayout(cfg);
const flat = (seed: number) => {
  const a = new Float32Array(layout.total);
  for (const s of layout.specs) a.set(randomArray(s.size, seed + s.offset), s.offset);
  return a;
};
const sample = (): Checkpoint => ({
  config: cfg,
  meta: { format: 'flm-studio', version: 1, kind: 'flm', name: 'test', createdAt: '2026-01-01T00:00:00Z', step: 7, lossHistory: [{ step: 1, loss: 2.5 }] },
  params: flat(1), ema: flat(2), adamM: flat(3), adamV: flat(4),
});
const err = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(CheckpointError); return e as CheckpointError; } throw new Error('no error'); };

describe('checkpoint format', () => {
  it('round-trips weights, EMA, Adam moments and metadata, with official key names', () => {
    const c = sample();
    const bytes = encodeCheckpoint(c);
    const f = readSafetensors(bytes);
    expect(f.tensors.has('blocks.0.attn_qkv.weight')).toBe(true);
    expect(f.tensors.has('ema.blocks.0.attn_qkv.weight')).toBe(true);
    expect(f.metadata.hidden_size).toBe('16');
    const d = decodeCheckpoint(bytes);
    expect(d.params).toEqual(c.params);
    expect(d.ema).toEqual(c.ema);
    expect(d.adamV).toEqual(c.adamV);
    expect(d.meta.step).toBe(7);
    expect(d.config).toEqual(cfg);
  });

  it('reads an official checkpoint (weights only) and matches its float64 source', () => {
    const d = decodeCheckpoint(fixtureBytes('checkpoint_flm.safetensors'));
    expect(d.meta.kind).toBe('flm');
    expect(d.ema).toBeUndefined();
    const src = readSafetensors(fixtureBytes('dit_flm.safetensors'));
    const want = toFloat32(src.tensors.get('param.blocks.1.mlp.0.weight')!);
    const spec = paramLayout(d.config).byName.get('blocks.1.mlp.0.weight')!;
    const got = d.params.subarray(spec.offset, spec.offset + spec.size);
    expect(Math.max(...got.map((x, i) => Math.abs(x - want[i])))).toBeLessThan(1e-6);
  });

  it('explains what is wrong with a bad file', () => {
    expect(err(() => decodeCheckpoint(new Uint8Array([1, 2, 3]))).code).toBe('not-safetensors');
    const f = readSafetensors(encodeCheckpoint(sample()));
    const drop = new Map(f.tensors); drop.delete('blocks.0.mlp.2.bias');
    expect(err(() => decodeCheckpoint(writeSafetensors(drop, f.metadata))).message).toContain('blocks.0.mlp.2.bias');
    const shape = new Map(f.tensors); shape.set('output_layer.linear.bias', { dtype: 'F32', shape: [12], data: new Float32Array(12) });
    expect(err(() => decodeCheckpoint(writeSafetensors(shape, f.metadata))).code).toBe('shape-mismatch');
    const nan = new Map(f.tensors); const t = { ...f.tensors.get('vocab_embed.embedding')! }; t.data = Float32Array.from(t.data as Float32Array); (t.data as Float32Array)[3] = NaN; nan.set('vocab_embed.embedding', t);
    expect(err(() => decodeCheckpoint(writeSafetensors(nan, f.metadata))).code).toBe('non-finite');
    const extra = new Map(f.tensors); extra.set('head.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    expect(err(() => decodeCheckpoint(writeSafetensors(extra, f.metadata))).code).toBe('extra-tensor');
    expect(err(() => decodeCheckpoint(encodeCheckpoint(sample()), { expect: { vocab: 65 } })).message).toContain('vocab 11');
    const noMeta = writeSafetensors(f.tensors, {});
    expect(err(() => decodeCheckpoint(noMeta)).code).toBe('no-config');
  });
});
