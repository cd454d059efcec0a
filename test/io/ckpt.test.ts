/**
 * The official Lightning `.ckpt` reader (src/io/ckpt): the three official
 * fixtures, files of another shape written by test/io/ckptWriter.ts, and
 * every kind of refusal.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { CkptError, looksLikeCkpt, readLightningCkpt, type CkptErrorCode } from '../../src/io/ckpt/index.ts';
import { defaultKind, META_VERSION } from '../../src/io/meta.ts';
import { defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { uploadWeights } from '../../src/model/weights.ts';
import { runCkptParity } from '../../src/parity/ckpt.ts';
import { randomArray } from '../helpers.ts';
import {
  lightningCkpt, officialOrder, PCall, PGlobal, PObj, PStorage, PTensor, PTuple, roundTo, torchSave, zip, type LightningSpec, type TorchDtype,
} from './ckptWriter.ts';

const dir = new URL('../fixtures/official-ckpt/', import.meta.url);
const official = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** The CkptError `f` throws (fails the test if it throws anything else or nothing). */
function err(f: () => unknown, code: CkptErrorCode, match?: RegExp): CkptError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(CkptError);
    expect((e as CkptError).code, (e as Error).message).toBe(code);
    expect((e as Error).message).not.toContain('\n');
    if (match) expect((e as Error).message).toMatch(match);
    return e as CkptError;
  }
  throw new Error(`expected a CkptError ${code}`);
}

// The other shape of the brief: V=50, L=16, D=48, H=3, C=24, 3 blocks, two-time.
const other: DiTConfig = defaultConfig({ vocab: 50, length: 16, hidden: 48, heads: 3, blocks: 3, cond: 24, twoTime: true, lossWeighting: true });
function weights(cfg: DiTConfig, seed: number, scale = 0.2): Float32Array {
  const layout = paramLayout(cfg);
  const a = new Float32Array(layout.total);
  for (const s of layout.specs) a.set(randomArray(s.size, seed * 1000 + s.offset, scale), s.offset);
  return a;
}
const spec = (extra: Partial<LightningSpec> = {}): LightningSpec => ({ config: other, params: weights(other, 1), ema: weights(other, 2), globalStep: 77, ...extra });

describe('the official fixtures', () => {
  it('flm.ckpt: a one-time FLM with loss weighting, EMA weights, step and tokenizer name from the file', () => {
    const { checkpoint: c, info } = readLightningCkpt(official('flm.ckpt'), { name: 'flm', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(c.config).toEqual({ vocab: 37, length: 24, hidden: 64, heads: 4, blocks: 2, cond: 32, twoTime: false, lossWeighting: true, softcap: 50, mlpRatio: 4 });
    expect(c.meta).toEqual({ format: 'flm-studio', version: META_VERSION, kind: 'flm', name: 'flm', createdAt: '2026-01-01T00:00:00.000Z', step: 1234, tokenizer: { type: 'hub', name: 'gpt2' } });
    expect(c.ema).toBeInstanceOf(Float32Array);
    expect(c.ema!.length).toBe(paramLayout(c.config).total);
    expect(c.params.some((x, i) => x !== c.ema![i])).toBe(true); // the EMA differs from the raw weights on purpose
    expect(info).toMatchObject({
      prefix: 'backbone.', modelKeys: 39, ignoredKeys: [], stateDictDtypes: ['float32'], samplingWeights: 'ema',
      ema: { tensors: 38, decay: 0.9999, numUpdates: 1234 }, tokenizerName: 'gpt2', globalStep: 1234, lightningVersion: '2.5.1', algo: 'flm',
      tokenizerClass: 'transformers.models.gpt2.tokenization_gpt2_fast.GPT2TokenizerFast', pickleProtocol: 2,
    });
    expect(info.inertGlobals).toContain('omegaconf.dictconfig.DictConfig');
  });

  it('fmlm.ckpt: a compiled two-time backbone (backbone._orig_mod.), teacher keys left out, kind fmlm', () => {
    const { checkpoint: c, info } = readLightningCkpt(official('fmlm.ckpt'));
    expect(c.config.twoTime).toBe(true);
    expect(c.meta.kind).toBe(defaultKind(true));
    expect(info.prefix).toBe('backbone._orig_mod.');
    expect(info.ignoredKeys.length).toBe(43);
    expect(info.ignoredKeys.every((k) => k.startsWith('teacher.'))).toBe(true);
    expect(info.ema!.tensors).toBe(42);
    expect(paramLayout(c.config).count).toBe(165_798);
  });

  it('flm_bf16.ckpt: a bfloat16 state_dict, widened exactly (and its bfloat16 rotary buffer accepted)', () => {
    const { checkpoint: c, info } = readLightningCkpt(official('flm_bf16.ckpt'));
    expect(info.stateDictDtypes).toEqual(['bfloat16']);
    const bits = new Uint32Array(c.params.buffer);
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(paramLayout(c.config).count).toBe(156_518);
  });

  for (const name of ['flm', 'fmlm', 'flm_bf16']) {
    it(`${name}: the official logits from the EMA weights on the CPU backend (relative L2 ≤ 1e-5)`, async () => {
      const r = await runCkptParity(new CpuBackend(), official(`${name}.ckpt`), official(`${name}.expected.safetensors`), `${name}.ckpt`);
      expect(r.weights).toBe('ema');
      expect(r.relErr).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('files of another shape, written the same way (V=50, L=16, D=48, H=3, C=24, 3 blocks, two-time)', () => {
  /** The same weights through the studio's safetensors format, for comparison. */
  const viaSafetensors = (s: LightningSpec, dtype: TorchDtype = 'f32'): Checkpoint => {
    const round = (a: Float32Array) => a.map((x) => roundTo(dtype, x));
    const c: Checkpoint = {
      config: s.config, params: round(s.params), ema: s.ema,
      meta: { format: 'flm-studio', version: META_VERSION, kind: 'fmlm', name: 'x', createdAt: '2026-01-01T00:00:00Z', step: 0 },
    };
    return decodeCheckpoint(encodeCheckpoint(c));
  };

  async function logits(c: Checkpoint, x: Float32Array, t: Float32Array, tp: Float32Array): Promise<Float32Array> {
    const backend = new CpuBackend();
    const m = new DiT(backend, c.config, 2, { inference: true });
    uploadWeights(backend, c, m.params);
    backend.write(m.x, x);
    backend.write(m.t, t);
    backend.write(m.tPrime!, tp);
    backend.compile(() => m.forward()).run();
    await backend.sync();
    return backend.read(m.logits);
  }

  it('imports exactly the weights written (raw and EMA), in the official state_dict order, and the forward matches decodeCheckpoint\'s', async () => {
    const s = spec();
    const { checkpoint: c, info } = readLightningCkpt(lightningCkpt(s));
    expect(c.config).toEqual(other);
    expect(c.meta.kind).toBe('fmlm');
    expect(c.meta.step).toBe(77);
    expect(info.ema!.tensors).toBe(paramLayout(other).specs.length);
    expect(Array.from(c.params)).toEqual(Array.from(s.params));
    expect(Array.from(c.ema!)).toEqual(Array.from(s.ema!));
    // The written order is not the studio's buffer order (loss weighting comes before the blocks).
    expect(officialOrder(other).map((x) => x.name)).not.toEqual(paramLayout(other).specs.map((x) => x.name));
    const ref = viaSafetensors(s);
    const V = other.vocab, L = other.length;
    const x = new Float32Array(2 * L * V);
    for (let i = 0; i < 2 * L; i++) x[i * V + (i * 7) % V] = 1;
    const t = new Float32Array([0.3, 0.8]), tp = new Float32Array([0.6, 0.95]);
    const [a, b] = [await logits(c, x, t, tp), await logits(ref, x, t, tp)];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it('reads bfloat16 and float16 state_dicts, deflated entries, big-endian storages and zip64 records', () => {
    for (const dtype of ['bf16', 'f16'] as const) {
      const s = spec({ dtype });
      const c = readLightningCkpt(lightningCkpt(s)).checkpoint;
      expect(Array.from(c.params)).toEqual(Array.from(viaSafetensors(s, dtype).params));
    }
    const s = spec();
    for (const opts of [{ deflate: true }, { byteorder: 'big' as const }, { byteorder: 'little' as const }, { zip64: true }, { align: 1 }]) {
      const c = readLightningCkpt(lightningCkpt(s, opts)).checkpoint;
      expect(Array.from(c.ema!), JSON.stringify(opts)).toEqual(Array.from(s.ema!));
    }
  });

  it('the parity runner takes such a file with expected logits of its own shape', async () => {
    const s = spec();
    const bytes = lightningCkpt(s);
    const { checkpoint } = readLightningCkpt(bytes);
    const V = other.vocab, L = other.length;
    const x = new Float32Array(2 * L * V).map((_, i) => (i % V === 3 ? 1 : 0));
    const t = new Float32Array([0.2, 0.7]), tp = new Float32Array([0.5, 0.9]);
    const want = await logits(checkpoint, x, t, tp);
    const { writeSafetensors } = await import('../../src/io/safetensors.ts');
    const expected = writeSafetensors({ xt: { dtype: 'F32', shape: [2, L, V], data: x }, t: { dtype: 'F32', shape: [2], data: t },
      t_prime: { dtype: 'F32', shape: [2], data: tp }, logits: { dtype: 'F32', shape: [2, L, V], data: want } }, { weights: 'ema' });
    const r = await runCkptParity(new CpuBackend(), bytes, expected, 'other.ckpt');
    expect(r.relErr).toBe(0);
  });

  it('shares storages between tensors at offsets (as torch does for views)', () => {
    const s = spec();
    const order = officialOrder(other);
    const a = order.find((x) => x.name === 'blocks.0.norm1.weight')!, b = order.find((x) => x.name === 'blocks.0.norm2.weight')!;
    const storage = new PStorage([...s.params.subarray(a.offset, a.offset + a.size), ...s.params.subarray(b.offset, b.offset + b.size)], 'f32');
    const c = readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: {
      [a.name]: new PTensor(storage, a.shape, 'f32', 0), [b.name]: new PTensor(storage, b.shape, 'f32', a.size),
    } })).checkpoint;
    expect(Array.from(c.params)).toEqual(Array.from(s.params));
  });

  it('resolves ${…} interpolations in the config, honours eval.disable_ema, and a file without EMA samples with the raw weights', () => {
    const c = readLightningCkpt(lightningCkpt(spec({ configEdits: { 'model.length': '${data.block_size}', 'data.block_size': 16 } }))).checkpoint;
    expect(c.config.length).toBe(16);
    const off = readLightningCkpt(lightningCkpt(spec({ configEdits: { 'eval.disable_ema': true } })));
    expect(off.checkpoint.ema).toBeUndefined();
    expect(off.info.samplingWeights).toBe('state_dict');
    expect(off.info.ema!.disabledByConfig).toBe(true);
    const none = readLightningCkpt(lightningCkpt(spec({ ema: undefined })));
    expect(none.checkpoint.ema).toBeUndefined();
    expect(none.info.ema).toBeUndefined();
  });

  it('leaves out teacher keys and anything outside the backbone; reads unknown objects elsewhere as inert placeholders', () => {
    const evil = new PObj(new PGlobal('somepkg.callbacks', 'Tracker'), [1, 2], null);
    const r = readLightningCkpt(lightningCkpt(spec({ teacher: true, extra: [['callbacks', evil], ['noise_schedule', new PCall(new PGlobal('somepkg', 'make_noise'), ['x'])]] })));
    expect(r.info.ignoredKeys.length).toBe(paramLayout(other).specs.length);
    expect(r.info.inertGlobals).toEqual(expect.arrayContaining(['somepkg.callbacks.Tracker', 'somepkg.make_noise']));
  });
});

describe('refusals: one typed error, one line', () => {
  const s = spec();
  const order = officialOrder(other);

  it('config: missing values, contradictions with the weights, unsupported models', () => {
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.n_heads': undefined, 'model.length': undefined } })), 'bad-config', /lacks model.n_heads, model.length/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'algo.double_temb': false } })), 'bad-config', /double_temb = False.*sigma_map_prime/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'algo.learnable_loss_weighting': false } })), 'bad-config', /learnable_loss_weighting/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.hidden_size': 64 } })), 'bad-config', /hidden_size = 64/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.n_heads': 5 } })), 'bad-config', /cannot run/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.length': 'long' } })), 'bad-config', /model.length = "long"/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'algo.causal_attention': true } })), 'bad-config', /causal/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'algo.backbone': 'dimamba' } })), 'bad-config', /dimamba/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.length': '${model.length}' } })), 'bad-config', /interpolation/);
  });

  it('weights: wrong shapes, missing or extra tensors, a wrong EMA, non-finite values, non-contiguous or integer tensors', () => {
    const q = order.find((x) => x.name === 'blocks.1.attn_qkv.weight')!;
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: new PTensor(new Float32Array(q.size), [q.shape[1], q.shape[0]]) } })), 'bad-weights', /blocks.1.attn_qkv.weight.*shape \[48, 144\]/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: undefined } })), 'bad-weights', /lacks 1 of/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { 'blocks.1.extra.weight': new PTensor([1, 2], [2]) } })), 'bad-weights', /different architecture/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, shadowParams: order.slice(1).map((x) => new PTensor(new Float32Array(x.size), x.shape)) })), 'bad-weights', /holds \d+ tensors/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, shadowParams: order.map((x, i) => new PTensor(new Float32Array(x.size), i === 3 ? [x.size] : x.shape)) })), 'bad-weights', /shadow_params\[3\]/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, shadowParams: 'nope' })), 'bad-weights', /not a list/);
    const nan = s.params.slice();
    nan[order[5].offset] = NaN;
    err(() => readLightningCkpt(lightningCkpt({ ...s, params: nan })), 'bad-weights', /NaN/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: new PTensor(new Float32Array(q.size), q.shape, 'f32', 0, [1, q.shape[0]]) } })), 'unsupported-tensor', /not contiguous/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: new PTensor(new Array(q.size).fill(1), q.shape, 'i64') } })), 'unsupported-tensor', /int64/);
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { 'rotary_emb.inv_freq': new PTensor([1, 2, 3, 4, 5, 6, 7, 8], [8]) } })), 'bad-weights', /rotary/);
    // A weight that is an object a real unpickler would have built by a call: refused, not run.
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: new PCall(new PGlobal('evilpkg', 'make_tensor'), [1]) } })), 'bad-weights', /evilpkg.make_tensor object, not a tensor/);
  });

  it('tensor records that do not fit their storage, storages that do not fit their entry', () => {
    const q = order.find((x) => x.name === 'blocks.0.mlp.0.bias')!;
    err(() => readLightningCkpt(lightningCkpt({ ...s, stateDictEdits: { [q.name]: new PTensor(new Float32Array(q.size), q.shape, 'f32', 5) } })), 'bad-tensor', /reaches element/);
    // A storage that declares more elements than its entry holds: a persistent id edited by hand.
    const small = torchSave(new PTuple([new PTensor([1, 2, 3], [3])]));
    const pkl = torchPickleOf(small);
    const edited = pkl.slice();
    const at = findBytes(pkl, [0x58, 1, 0, 0, 0, 0x30, 0x58]); // key '0', then 'cpu'
    expect(at).toBeGreaterThan(0);
    const numelAt = findBytes(pkl, [0x4b, 3, 0x74, 0x51]); // BININT1 3, TUPLE, BINPERSID
    edited[numelAt + 1] = 200;
    err(() => readLightningCkpt(torchSave(new PTuple([new PTensor([1, 2, 3], [3])]), { pickleBytes: edited })), 'bad-tensor', /declares 200 float32 elements/);
  });

  it('pickles naming code-running globals are refused before anything is built (nothing executed)', () => {
    for (const [m, n] of [['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['__builtin__', 'exec'], ['subprocess', 'Popen'], ['builtins', 'getattr'], ['nt', 'system']]) {
      const bytes = lightningCkpt({ ...s, extra: [['callbacks', new PCall(new PGlobal(m, n), ['touch /tmp/pwned'])]] });
      err(() => readLightningCkpt(bytes), 'unsafe-pickle', new RegExp(`refers to ${m === '__builtin__' ? 'builtins' : m}\\.${n}`));
    }
  });

  it('not a checkpoint: a legacy torch.save pickle, a zip without data.pkl, a bare tensor, a state_dict alone', () => {
    err(() => readLightningCkpt(new Uint8Array([0x80, 0x02, 0x8a, 0x0a])), 'not-zip', /legacy torch.save/);
    err(() => readLightningCkpt(new TextEncoder().encode('hello world, not a zip at all')), 'not-zip');
    err(() => readLightningCkpt(zip([['a/readme.txt', new Uint8Array([1, 2])]])), 'not-lightning', /data.pkl/);
    err(() => readLightningCkpt(torchSave(new PTensor([1, 2], [2]))), 'not-lightning', /holds a tensor/);
    err(() => readLightningCkpt(torchSave(new PTuple([]))), 'not-lightning');
    expect(looksLikeCkpt(official('flm.ckpt'))).toBe(true);
  });

  it('limits: sizes and counts beyond the bounds are refused before they are read', () => {
    const bytes = lightningCkpt(s);
    err(() => readLightningCkpt(bytes, { limits: { maxFileBytes: 1000 } }), 'too-large', /more than/);
    err(() => readLightningCkpt(bytes, { limits: { maxReadBytes: 1000 } }), 'too-large');
    err(() => readLightningCkpt(bytes, { limits: { maxEntries: 3 } }), 'too-large', /entries/);
    err(() => readLightningCkpt(bytes, { limits: { maxPickleBytes: 1000 } }), 'too-large', /data.pkl/);
    err(() => readLightningCkpt(bytes, { limits: { maxMemo: 10 } }), 'too-large', /memo/);
    err(() => readLightningCkpt(bytes, { limits: { maxPickleValues: 100 } }), 'too-large', /values/);
    err(() => readLightningCkpt(bytes, { limits: { maxContainerItems: 5 } }), 'too-large', /container/);
    err(() => readLightningCkpt(bytes, { limits: { maxDepth: 2 } }), 'bad-config', /nests deeper/);
    err(() => readLightningCkpt(bytes, { limits: { maxStringBytes: 8 } }), 'too-large', /string|BINUNICODE/);
    // Deep nesting in the config (a list of lists of …) is bounded, not a stack overflow.
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = [deep];
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.extra': deep } })), 'bad-config', /nests deeper/);
    // Shared references: 30 levels of [x, x] are 2³⁰ values unshared, in a few hundred bytes; the walk is bounded.
    let dag: unknown = [1];
    for (let i = 0; i < 30; i++) dag = [dag, dag];
    err(() => readLightningCkpt(lightningCkpt({ ...s, configEdits: { 'model.extra': dag } })), 'too-large', /more than 1000000 values/);
  });
});

/** data.pkl of a torch.save file (stored, found by name). */
function torchPickleOf(file: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode('archive/data.pkl');
  const at = findBytes(file, [...name]);
  const dv = new DataView(file.buffer, file.byteOffset);
  const hdr = at - 30;
  const size = dv.getUint32(hdr + 22, true), start = hdr + 30 + dv.getUint16(hdr + 26, true) + dv.getUint16(hdr + 28, true);
  return file.slice(start, start + size);
}

function findBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

