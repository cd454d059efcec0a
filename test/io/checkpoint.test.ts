import { describe, expect, it } from 'vitest';
import {
  CheckpointError, checkpointSummary, decodeCheckpoint, encodeCheckpoint, INV_FREQ, type Checkpoint, type CheckpointErrorCode,
} from '../../src/io/checkpoint.ts';
import { readSafetensors, toFloat32, writeSafetensors, type StTensor } from '../../src/io/safetensors.ts';
import { ropeInvFreq } from '../../src/engine/host/rope.ts';
import { configToMetadata, defaultConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { META_VERSION, samplerFor } from '../../src/io/meta.ts';
import { presetTrain } from '../../src/train/presets.ts';
import { fixtureBytes, randomArray } from '../helpers.ts';

const cfg = defaultConfig({ vocab: 11, length: 8, hidden: 16, heads: 2, blocks: 1, cond: 8 });
const layout = paramLayout(cfg);
/** Random values in the parameters, zero padding (as the trainer keeps it). */
const flat = (seed: number) => {
  const a = new Float32Array(layout.total);
  for (const s of layout.specs) a.set(randomArray(s.size, seed + s.offset), s.offset);
  return a;
};
const sample = (): Checkpoint => ({
  config: cfg,
  meta: {
    format: 'flm-studio', version: META_VERSION, kind: 'flm', name: 'test', createdAt: '2026-01-01T00:00:00Z', step: 7,
    train: presetTrain('micro', 10), tokenizer: { type: 'char', vocab: ['<unk>', 'a', 'b'] },
    data: { corpus: { kind: 'bundled', id: 'brown' }, sha256: 'ab', batcher: { epoch: 0, index: 3, seed: 0 } }, rng: { seed: 0, step: 7 },
    lossHistory: [{ step: 1, loss: 2.5, valCe: 2.4, time: 12 }, { step: 2, loss: NaN }], run: { saveEvery: 100 },
  },
  params: flat(1), ema: flat(2), adamM: flat(3), adamV: flat(4).map(Math.abs),
});

/** The CheckpointError `f` throws (fails the test if it throws anything else or nothing). */
function err(f: () => unknown, code: CheckpointErrorCode): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code, (e as Error).message).toBe(code);
    return e as CheckpointError;
  }
  throw new Error(`expected a CheckpointError ${code}`);
}

/** The tensors and metadata of the sample, to be tampered with. */
const parts = () => {
  const f = readSafetensors(encodeCheckpoint(sample()));
  return { tensors: new Map(f.tensors), metadata: { ...f.metadata } };
};
const rebuild = (p: { tensors: Map<string, StTensor>; metadata: Record<string, string> }) => writeSafetensors(p.tensors, p.metadata);

describe('checkpoint format', () => {
  it('round-trips weights, EMA, Adam moments and metadata, with official key names', () => {
    const c = sample();
    const bytes = encodeCheckpoint(c);
    const f = readSafetensors(bytes);
    const spec = layout.byName.get('blocks.0.attn_qkv.weight')!;
    for (const name of ['blocks.0.attn_qkv.weight', 'ema.blocks.0.attn_qkv.weight', 'optim.m.blocks.0.attn_qkv.weight', 'optim.v.blocks.0.attn_qkv.weight']) {
      expect(f.tensors.get(name)!.dtype).toBe('F32');
      expect(f.tensors.get(name)!.shape).toEqual([48, 16]);
    }
    expect(f.tensors.get('blocks.0.attn_qkv.weight')!.data).toEqual(c.params.subarray(spec.offset, spec.offset + spec.size));
    expect(f.tensors.get(INV_FREQ)!.data).toEqual(ropeInvFreq(8));
    expect(f.tensors.size).toBe(4 * layout.specs.length + 1);
    // Official metadata keys, all strings, plus our JSON.
    expect(f.metadata).toMatchObject(configToMetadata(cfg));
    expect(f.metadata.hidden_size).toBe('16');
    expect(f.metadata.double_temb).toBe('False');
    expect(JSON.parse(f.metadata.flm_studio).name).toBe('test');

    const d = decodeCheckpoint(bytes);
    expect(d.config).toEqual(cfg);
    expect(d.params).toEqual(c.params);
    expect(d.ema).toEqual(c.ema);
    expect(d.adamM).toEqual(c.adamM);
    expect(d.adamV).toEqual(c.adamV);
    expect(d.meta).toEqual(c.meta); // NaN loss survives (JSON null → NaN)
  });

  it('optional groups stay absent; padding stays zero', () => {
    const c = sample();
    delete c.ema; delete c.adamM; delete c.adamV;
    c.params.fill(5);
    const d = decodeCheckpoint(encodeCheckpoint(c));
    expect(d.ema).toBeUndefined();
    expect(d.adamM).toBeUndefined();
    expect(d.adamV).toBeUndefined();
    const s = layout.specs[0];
    expect(d.params[s.offset + s.size - 1]).toBe(5);
    if (layout.specs[1].offset > s.size) expect(d.params[s.offset + s.size]).toBe(0);
  });

  it('refuses to encode arrays of the wrong length', () => {
    const c = sample();
    c.ema = new Float32Array(3);
    expect(() => encodeCheckpoint(c)).toThrow(/ema must be a Float32Array/);
  });

  it('reads an official checkpoint (weights only) and matches its float64 source', () => {
    const d = decodeCheckpoint(fixtureBytes('checkpoint_flm.safetensors'));
    expect(d.meta).toMatchObject({ format: 'flm-studio', version: META_VERSION, kind: 'flm', name: 'imported', step: 0 });
    expect(d.config).toMatchObject({ vocab: 37, length: 24, hidden: 64, heads: 4, blocks: 2, cond: 32, twoTime: false, lossWeighting: true });
    expect(d.ema).toBeUndefined();
    const src = readSafetensors(fixtureBytes('dit_flm.safetensors'));
    const lay = paramLayout(d.config);
    for (const name of ['blocks.1.mlp.0.weight', 'vocab_embed.embedding', 'learnable_loss_weighting.mlp.2.bias']) {
      const ref = src.tensors.get(`param.${name}`)!;
      expect(ref.dtype).toBe('F64');
      const want = toFloat32(ref);
      const spec = lay.byName.get(name)!;
      const got = d.params.subarray(spec.offset, spec.offset + spec.size);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1e-6, Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-6);
    }
    // An imported checkpoint re-encodes into one of ours.
    expect(decodeCheckpoint(encodeCheckpoint(d)).params).toEqual(d.params);
  });

  it('gives an official two-time checkpoint the fmlm kind (it samples by itself, in one step)', () => {
    const d = decodeCheckpoint(fixtureBytes('checkpoint_flowmap.safetensors'));
    expect(d.meta.kind).toBe('fmlm');
    expect(samplerFor(d.meta)).toBe('flowmap');
    expect(d.config.twoTime).toBe(true);
  });

  it('summarises', () => {
    const s = checkpointSummary(sample());
    expect(s).toMatchObject({ kind: 'flm', name: 'test', step: 7, params: layout.count, config: cfg });
    expect(s.bytes).toBe(4 * (4 * layout.count + 4));
  });

  describe('explains what is wrong with a bad file', () => {
    it('not safetensors', () => {
      const e = err(() => decodeCheckpoint(new Uint8Array([1, 2, 3])), 'not-safetensors');
      expect(e.message).toMatch(/^This file is not a FLM checkpoint: /);
      expect(e.cause).toBeDefined();
      err(() => decodeCheckpoint(new TextEncoder().encode('{"hello": "a text file, not a checkpoint"}')), 'not-safetensors');
    });

    it('too large', () => {
      expect(err(() => decodeCheckpoint(encodeCheckpoint(sample()), { maxBytes: 1000 }), 'too-large').message).toMatch(/MB/);
    });

    it('no config', () => {
      const p = parts();
      const e = err(() => decodeCheckpoint(writeSafetensors(p.tensors, {})), 'no-config');
      expect(e.message).toMatch(/does not describe the model/);
      delete p.metadata.n_heads;
      expect(err(() => decodeCheckpoint(rebuild(p)), 'no-config').message).toContain('n_heads');
    });

    it('missing tensor', () => {
      const p = parts();
      p.tensors.delete('blocks.0.mlp.2.bias');
      const e = err(() => decodeCheckpoint(rebuild(p)), 'missing-tensor');
      expect(e.message).toContain('blocks.0.mlp.2.bias');
      expect(e.message).toMatch(/\b1 of the \d+ weights/);
      // Several missing: the first are named, the rest counted.
      const q = parts();
      for (const s of layout.specs.slice(0, 6)) q.tensors.delete(s.name);
      const e2 = err(() => decodeCheckpoint(rebuild(q)), 'missing-tensor');
      expect(e2.message).toContain(layout.specs[0].name);
      expect(e2.message).toContain('and 3 more');
    });

    it('incomplete EMA or optimiser group', () => {
      const p = parts();
      p.tensors.delete('optim.v.output_layer.linear.weight');
      const e = err(() => decodeCheckpoint(rebuild(p)), 'missing-tensor');
      expect(e.message).toContain('optim.v.output_layer.linear.weight');
      expect(e.message).toMatch(/Adam second moments/);
    });

    it('wrong shape', () => {
      const p = parts();
      p.tensors.set('output_layer.linear.bias', { dtype: 'F32', shape: [12], data: new Float32Array(12) });
      const e = err(() => decodeCheckpoint(rebuild(p)), 'shape-mismatch');
      expect(e.message).toContain('output_layer.linear.bias');
      expect(e.message).toContain('[12]');
      expect(e.message).toContain('[11]');
    });

    it('NaN or infinite weight', () => {
      const p = parts();
      const t = p.tensors.get('vocab_embed.embedding')!;
      const data = Float32Array.from(t.data as Float32Array);
      data[3] = NaN;
      p.tensors.set('vocab_embed.embedding', { ...t, data });
      expect(err(() => decodeCheckpoint(rebuild(p)), 'non-finite').message).toContain('vocab_embed.embedding');
      const q = parts();
      const u = q.tensors.get('ema.blocks.0.norm1.weight')!;
      q.tensors.set('ema.blocks.0.norm1.weight', { ...u, data: new Float32Array(u.shape[0]).fill(Infinity) });
      expect(err(() => decodeCheckpoint(rebuild(q)), 'non-finite').message).toContain('ema.blocks.0.norm1.weight');
    });

    it('extra tensor', () => {
      const p = parts();
      p.tensors.set('head.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
      const e = err(() => decodeCheckpoint(rebuild(p)), 'extra-tensor');
      expect(e.message).toContain('head.weight');
      expect(e.message).toMatch(/different architecture/);
      // A stray tensor in the EMA namespace is extra too.
      const q = parts();
      q.tensors.set('ema.blocks.7.norm1.weight', { dtype: 'F32', shape: [16], data: new Float32Array(16) });
      expect(err(() => decodeCheckpoint(rebuild(q)), 'extra-tensor').message).toContain('ema.blocks.7.norm1.weight');
    });

    it('is never written with a non-finite value or a negative second moment', () => {
      for (const [g, v] of [['params', NaN], ['ema', Infinity], ['adamM', -Infinity], ['adamV', -1e-3]] as const) {
        const c = sample();
        c[g]![layout.byName.get('blocks.0.attn_qkv.weight')!.offset + 5] = v;
        const e = err(() => encodeCheckpoint(c), 'non-finite');
        expect(e.message).toMatch(/^Not saved: .*blocks\.0\.attn_qkv\.weight holds/);
      }
    });

    it('a negative Adam second moment', () => {
      const p = parts();
      const v = p.tensors.get('optim.v.blocks.0.attn_qkv.weight')!;
      (v.data as Float32Array)[3] = -0.5;
      expect(err(() => decodeCheckpoint(rebuild(p)), 'non-finite').message).toMatch(/optim\.v\.blocks\.0\.attn_qkv\.weight holds -0\.5: an Adam second moment is never negative/);
    });

    it('weights relabelled as integers', () => {
      const p = parts();
      const w = p.tensors.get('blocks.0.attn_qkv.weight')!;
      p.tensors.set('blocks.0.attn_qkv.weight', { dtype: 'I32', shape: w.shape, data: new Int32Array((w.data as Float32Array).buffer.slice(0)) });
      expect(err(() => decodeCheckpoint(rebuild(p)), 'shape-mismatch').message).toMatch(/holds I32 values; model weights must be floating-point/);
    });

    it('rotary buffer of another model', () => {
      const p = parts();
      p.tensors.set(INV_FREQ, { dtype: 'F32', shape: [4], data: ropeInvFreq(8).map((x) => x * 1.001) });
      expect(err(() => decodeCheckpoint(rebuild(p)), 'shape-mismatch').message).toContain(INV_FREQ);
      const q = parts();
      q.tensors.set(INV_FREQ, { dtype: 'F32', shape: [8], data: ropeInvFreq(16) });
      expect(err(() => decodeCheckpoint(rebuild(q)), 'shape-mismatch').message).toContain(INV_FREQ);
    });

    it('vocab mismatch with the current tokenizer', () => {
      const e = err(() => decodeCheckpoint(encodeCheckpoint(sample()), { expect: { vocab: 65 } }), 'shape-mismatch');
      expect(e.message).toMatch(/^This checkpoint has vocab 11 but 65 is needed here/);
      // A matching expectation is fine.
      expect(decodeCheckpoint(encodeCheckpoint(sample()), { expect: { vocab: 11, hidden: 16 } }).config.vocab).toBe(11);
    });

    it('damaged FLM Studio metadata', () => {
      const p = parts();
      p.metadata.flm_studio = '{not json';
      expect(err(() => decodeCheckpoint(rebuild(p)), 'bad-meta').message).toMatch(/damaged/);
      p.metadata.flm_studio = JSON.stringify({ ...sample().meta, step: -1 });
      err(() => decodeCheckpoint(rebuild(p)), 'bad-meta');
      p.metadata.flm_studio = JSON.stringify({ ...sample().meta, kind: 'gpt' });
      err(() => decodeCheckpoint(rebuild(p)), 'bad-meta');
      p.metadata.flm_studio = JSON.stringify({ ...sample().meta, version: META_VERSION + 1 });
      expect(err(() => decodeCheckpoint(rebuild(p)), 'bad-meta').message).toMatch(/newer FLM Studio/);
    });
  });

  describe('typed metadata', () => {
    const withMeta = (meta: unknown, twoTime = false) => {
      const c = twoTime ? { ...sample(), config: defaultConfig({ ...cfg, twoTime: true }) } : sample();
      const layout = paramLayout(c.config);
      const p = readSafetensors(encodeCheckpoint({ ...c, params: new Float32Array(layout.total), ema: undefined, adamM: undefined, adamV: undefined }));
      p.metadata.flm_studio = JSON.stringify(meta);
      return rebuild(p);
    };
    const teacher = { name: 'flm', step: 5, fingerprint: '12:abcd0123' };

    it('migrates version 1 (lineage and run settings in extra, bare corpus ids) once, when read', () => {
      const v1 = {
        format: 'flm-studio', version: 1, kind: 'flowmap', name: 'g', createdAt: '2026-01-01T00:00:00Z', step: 3,
        data: { corpus: 'brown', sha256: 'ab' },
        extra: { saveEvery: 20, sampleEvery: 10, target: 400, distill: { stage: 1, teacherF: teacher }, teacherSources: { f: { kind: 'bundled', file: 'flm.safetensors' } } },
      };
      const m = decodeCheckpoint(withMeta(v1, true)).meta;
      expect(m.version).toBe(META_VERSION);
      expect(m.kind).toBe('flowmap');
      expect(m.distill).toEqual({ stage: 1, teacherF: teacher });
      expect(m.run).toEqual({ saveEvery: 20, sampleEvery: 10, target: 400, teacherSources: { f: { kind: 'bundled', file: 'flm.safetensors' } } });
      expect(m.data?.corpus).toEqual({ kind: 'bundled', id: 'brown' });
      expect(samplerFor(m)).toBe('two-network');
      // The studio's own text, and a version-1 two-time model with no stage 1 recorded (it samples alone: an FMLM).
      const mine = decodeCheckpoint(withMeta({ ...v1, data: { corpus: { kind: 'bytes', name: 'poems.txt' } }, extra: { teacherSources: { f: { kind: 'file', name: 'x' } } } }, true)).meta;
      expect(mine.data?.corpus).toEqual({ kind: 'text', name: 'poems.txt' });
      expect(mine.kind).toBe('fmlm');
      expect(mine.run).toBeUndefined();
    });

    it('writes what it reads', () => {
      const c = sample();
      const meta = { ...c.meta, kind: 'fmlm' as const, distill: { stage: 2 as const, teacherF: teacher, teacherG: { ...teacher, name: 'g' } } };
      const d = decodeCheckpoint(encodeCheckpoint({ ...c, config: defaultConfig({ ...cfg, twoTime: true }), meta, params: new Float32Array(paramLayout(defaultConfig({ ...cfg, twoTime: true })).total), ema: undefined, adamM: undefined, adamV: undefined }));
      expect(d.meta.distill).toEqual(meta.distill);
      expect(d.meta.train).toEqual(c.meta.train);
      expect(d.meta.tokenizer).toEqual(c.meta.tokenizer);
      expect(d.meta.run).toEqual({ saveEvery: 100 });
    });

    it.each([
      ['a training setting that is not a number', { train: { ...presetTrain('micro', 10), lr: 'fast' } }, /train\.lr/],
      ['a tokenizer of an unknown type', { tokenizer: { type: 'wordpiece' } }, /tokenizer is damaged/],
      ['a character vocabulary that is not text', { tokenizer: { type: 'char', vocab: [1, 2] } }, /tokenizer is damaged/],
      ['a corpus of an unknown kind', { data: { corpus: { kind: 'path', path: '/etc/passwd' } } }, /data\.corpus/],
      ['a distillation stage 3', { distill: { stage: 3, teacherF: teacher } }, /distill\.stage/],
      ['a teacher without a fingerprint', { distill: { stage: 2, teacherF: { name: 'f', step: 1 } } }, /fingerprint/],
      ['a batcher position that is negative', { data: { batcher: { epoch: 0, index: -1, seed: 0 } } }, /batcher\.index/],
    ])('refuses %s with a bad-meta error', (_, patch, why) => {
      const e = err(() => decodeCheckpoint(withMeta({ ...sample().meta, ...patch })), 'bad-meta');
      expect(e.message).toMatch(why);
    });

    it('refuses a kind that contradicts the model', () => {
      expect(err(() => decodeCheckpoint(withMeta({ ...sample().meta, kind: 'fmlm' })), 'bad-meta').message).toMatch(/fmlm.*one-time/);
      expect(err(() => decodeCheckpoint(withMeta({ ...sample().meta, kind: 'flm' }, true)), 'bad-meta').message).toMatch(/flm.*two-time/);
      expect(err(() => decodeCheckpoint(withMeta({ ...sample().meta, kind: 'flowmap', distill: { stage: 2, teacherF: teacher } }, true)), 'bad-meta').message)
        .toMatch(/stage 2/);
    });
  });
});
