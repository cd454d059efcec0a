import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  readSafetensors,
  writeSafetensors,
  toFloat32,
  SafetensorsError,
  type StTensor,
  type SafetensorsErrorCode,
} from '../../src/io/safetensors.ts';

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/official-dit/${name}`, import.meta.url)));
}

/** Build a raw safetensors file from a header object (or raw header text) and a data section. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectCode(fn: () => unknown, code: SafetensorsErrorCode): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as SafetensorsError).code).toBe(code);
  expect((err as SafetensorsError).message.length).toBeGreaterThan(10);
}

describe('readSafetensors on the official fixtures', () => {
  it('reads dit_flm.safetensors (F64 params, I32 tokens, metadata)', () => {
    const f = readSafetensors(fixture('dit_flm.safetensors'));
    expect(f.metadata.vocab).toBe('37');
    expect(f.metadata.hidden_size).toBe('64');
    expect(f.metadata.length).toBe('24');
    expect(f.metadata.n_blocks).toBe('2');

    const emb = f.tensors.get('param.vocab_embed.embedding')!;
    expect(emb.dtype).toBe('F64');
    expect(emb.shape).toEqual([37, 64]);
    expect(emb.data).toBeInstanceOf(Float64Array);
    expect(emb.data.length).toBe(37 * 64);
    expect(emb.data[0]).toBe(-0.007064806351018336);
    expect(emb.data[1]).toBe(0.027363900320285052);
    expect(emb.data[2]).toBe(0.032893444516335454);

    const x0 = f.tensors.get('x0')!;
    expect(x0.dtype).toBe('I32');
    expect(x0.shape).toEqual([3, 24]);
    expect(x0.data).toBeInstanceOf(Int32Array);
    const tok = x0.data as Int32Array;
    expect(Array.from(tok.subarray(0, 6))).toEqual([25, 7, 14, 31, 29, 33]);
    expect(Array.from(tok).every((v) => v >= 0 && v < 37)).toBe(true);

    expect(Array.from(f.tensors.get('t')!.data as Float64Array)).toEqual([0.1, 0.55, 0.93]);
    expect(f.tensors.has('__metadata__')).toBe(false);
  });

  it('reads checkpoint_flm.safetensors (F32, official key names)', () => {
    const f = readSafetensors(fixture('checkpoint_flm.safetensors'));
    expect(f.tensors.size).toBe(39);
    const qkv = f.tensors.get('blocks.0.attn_qkv.weight')!;
    expect(qkv.dtype).toBe('F32');
    expect(qkv.shape).toEqual([192, 64]);
    expect(qkv.data).toBeInstanceOf(Float32Array);
    expect(qkv.data[0]).toBe(Math.fround(-0.0849197506904602));
    expect(qkv.data[1]).toBe(Math.fround(-0.09441788494586945));
    expect(toFloat32(qkv)).toBe(qkv.data);
    for (const t of f.tensors.values()) expect(t.dtype).toBe('F32');
  });

  it('checkpoint F32 weights equal the F64 params of the same model rounded to float32', () => {
    const ck = readSafetensors(fixture('checkpoint_flm.safetensors'));
    const full = readSafetensors(fixture('dit_flm.safetensors'));
    for (const [name, t] of ck.tensors) {
      const p = full.tensors.get(`param.${name}`);
      if (!p) continue;
      expect(p.shape).toEqual(t.shape);
      const a = toFloat32(p);
      let diff = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== t.data[i]) diff++;
      expect(diff).toBe(0);
    }
  });

  it('copies data out of an unaligned buffer', () => {
    const bytes = fixture('checkpoint_flm.safetensors');
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const a = readSafetensors(bytes);
    const b = readSafetensors(shifted.subarray(3));
    for (const [name, t] of a.tensors) {
      const r = b.tensors.get(name)!.data;
      let diff = 0;
      for (let i = 0; i < t.data.length; i++) if (r[i] !== t.data[i]) diff++;
      expect(diff).toBe(0);
    }
  });
});

describe('writeSafetensors round trip', () => {
  it('round-trips F32/F64/I32 tensors with metadata', () => {
    const tensors: Record<string, StTensor> = {
      'z.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1.5, -2, 3.25, 0, Infinity, -1e-30]) },
      'a.bias': { dtype: 'F64', shape: [4], data: new Float64Array([Math.PI, -Math.E, 1e300, -0]) },
      tokens: { dtype: 'I32', shape: [1, 5], data: new Int32Array([0, -1, 2147483647, -2147483648, 42]) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([7]) },
      empty: { dtype: 'F64', shape: [0, 4], data: new Float64Array(0) },
    };
    const meta = { vocab: '37', note: 'héllo "quoted" ✓' };
    const bytes = writeSafetensors(tensors, meta);

    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.startsWith('{')).toBe(true);
    expect(/^ *$/.test(headerText.slice(headerText.lastIndexOf('}') + 1))).toBe(true);
    const header = JSON.parse(headerText);
    // Sorted-name order of the data.
    const order = Object.keys(header)
      .filter((k) => k !== '__metadata__')
      .sort((x, y) => header[x].data_offsets[0] - header[y].data_offsets[0] || header[x].data_offsets[1] - header[y].data_offsets[1]);
    expect(order.filter((k) => k !== 'empty')).toEqual(['a.bias', 'scalar', 'tokens', 'z.weight']);

    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual(meta);
    expect([...back.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors.get(name)!;
      expect(r.dtype).toBe(t.dtype);
      expect(r.shape).toEqual(t.shape);
      expect(r.data.constructor).toBe(t.data.constructor);
      expect(Array.from(r.data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
    }
    expect(Object.is(back.tensors.get('a.bias')!.data[3], -0)).toBe(true);
  });

  it('accepts a Map, omits empty metadata, and rewrites a fixture losslessly', () => {
    const f = readSafetensors(fixture('dit_flm.safetensors'));
    const bytes = writeSafetensors(f.tensors, f.metadata);
    const g = readSafetensors(bytes);
    expect(g.metadata).toEqual(f.metadata);
    expect(g.tensors.size).toBe(f.tensors.size);
    for (const [name, t] of f.tensors) {
      const r = g.tensors.get(name)!;
      expect(r.shape).toEqual(t.shape);
      expect(r.dtype).toBe(t.dtype);
      expect(r.data.length).toBe(t.data.length);
      let diff = 0;
      for (let i = 0; i < t.data.length; i++) if (!Object.is(r.data[i], t.data[i])) diff++;
      expect(diff).toBe(0);
    }
    const noMeta = writeSafetensors(new Map([['x', { dtype: 'I32', shape: [1], data: new Int32Array([3]) } as StTensor]]));
    const n = new DataView(noMeta.buffer).getUint32(0, true);
    expect(new TextDecoder().decode(noMeta.subarray(8, 8 + n))).not.toContain('__metadata__');
    expect(readSafetensors(noMeta).metadata).toEqual({});
  });

  it('round-trips F16/BF16 raw bits and decodes them with toFloat32', () => {
    const bytes = writeSafetensors({
      h: { dtype: 'F16', shape: [5], data: new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]) },
      b: { dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc040, 0x4049]) },
    });
    const f = readSafetensors(bytes);
    const h = toFloat32(f.tensors.get('h')!);
    expect(h[0]).toBe(1);
    expect(h[1]).toBe(-2);
    expect(h[2]).toBeCloseTo(0.33325195, 7);
    expect(h[3]).toBe(Math.fround(2 ** -24));
    expect(h[4]).toBe(Infinity);
    const b = toFloat32(f.tensors.get('b')!);
    expect(Array.from(b)).toEqual([1, -3, Math.fround(3.140625)]);
  });

  it('toFloat32 converts F64 and I32', () => {
    expect(toFloat32({ dtype: 'F64', shape: [2], data: new Float64Array([0.1, -2]) })).toEqual(new Float32Array([0.1, -2]));
    expect(toFloat32({ dtype: 'I32', shape: [2], data: new Int32Array([5, -7]) })).toEqual(new Float32Array([5, -7]));
  });

  it('rejects invalid input to the writer', () => {
    expectCode(() => writeSafetensors({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }), 'SIZE_MISMATCH');
    expectCode(() => writeSafetensors({ x: { dtype: 'F8' as never, shape: [1], data: new Float32Array(1) } }), 'UNKNOWN_DTYPE');
    expectCode(() => writeSafetensors({ x: { dtype: 'F32', shape: [-1], data: new Float32Array(1) } }), 'INVALID_SHAPE');
    expectCode(() => writeSafetensors({}, { n: 3 as unknown as string }), 'INVALID_METADATA');
  });
});

describe('readSafetensors error cases', () => {
  const good = writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { k: 'v' });

  it('truncated file (shorter than the length field)', () => {
    expectCode(() => readSafetensors(new Uint8Array(0)), 'TRUNCATED');
    expectCode(() => readSafetensors(good.subarray(0, 5)), 'TRUNCATED');
  });

  it('truncated data section', () => {
    expectCode(() => readSafetensors(good.subarray(0, good.length - 4)), 'OFFSETS_OUT_OF_BOUNDS');
    const big = fixture('checkpoint_flm.safetensors');
    expectCode(() => readSafetensors(big.subarray(0, big.length >> 1)), 'OFFSETS_OUT_OF_BOUNDS');
  });

  it('header length beyond the file', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(0, good.length, true);
    expectCode(() => readSafetensors(bad), 'HEADER_OUT_OF_BOUNDS');
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectCode(() => readSafetensors(huge), 'HEADER_TOO_LARGE');
    const big = fixture('checkpoint_flm.safetensors');
    expectCode(() => readSafetensors(big.subarray(0, 100)), 'HEADER_OUT_OF_BOUNDS');
  });

  it('bad JSON', () => {
    expectCode(() => readSafetensors(rawFile('{"w": {"dtype": "F32", ')), 'INVALID_JSON');
    const notUtf8 = rawFile('{"a":1}');
    notUtf8[9] = 0xff;
    expectCode(() => readSafetensors(notUtf8), 'INVALID_JSON');
    expectCode(() => readSafetensors(rawFile('[1,2]')), 'INVALID_HEADER');
    expectCode(() => readSafetensors(rawFile({ w: 5 })), 'INVALID_HEADER');
  });

  it('unknown dtype', () => {
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F12', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), 'UNKNOWN_DTYPE');
  });

  it('shape / byte-range mismatch', () => {
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(24))), 'SIZE_MISMATCH');
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8))), 'SIZE_MISMATCH');
  });

  it('bad shapes, offsets, overlaps and metadata', () => {
    const d = new Uint8Array(16);
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, d)), 'INVALID_SHAPE');
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, d)), 'INVALID_SHAPE');
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, d)), 'INVALID_OFFSETS');
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, d)), 'INVALID_OFFSETS');
    expectCode(() => readSafetensors(rawFile({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, d)), 'OFFSETS_OUT_OF_BOUNDS');
    expectCode(
      () =>
        readSafetensors(
          rawFile(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            d,
          ),
        ),
      'OVERLAPPING_TENSORS',
    );
    expectCode(() => readSafetensors(rawFile({ __metadata__: { a: 1 } })), 'INVALID_METADATA');
    expectCode(() => readSafetensors(rawFile({ __metadata__: ['a'] })), 'INVALID_METADATA');
  });

  it('accepts a minimal valid file built by hand', () => {
    const data = new Uint8Array(new Int32Array([7, -8]).buffer);
    const f = readSafetensors(rawFile({ __metadata__: { a: 'b' }, w: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }, data));
    expect(f.metadata).toEqual({ a: 'b' });
    expect(Array.from(f.tensors.get('w')!.data as Int32Array)).toEqual([7, -8]);
  });

describe('readSafetensors is as strict as the format', () => {
  const t = (n: number): StTensor => ({ dtype: 'F32', shape: [n], data: new Float32Array(n).fill(1) });
  const good = () => writeSafetensors({ a: t(2), b: t(3) }, { k: 'v' });
  /** The file with its header text replaced (data section unchanged). */
  const withHeader = (f: Uint8Array, edit: (h: string) => string, extra = new Uint8Array(0)) => {
    const n = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
    const h = new TextEncoder().encode(edit(new TextDecoder().decode(f.subarray(8, 8 + n))));
    const data = f.subarray(8 + n);
    const out = new Uint8Array(8 + h.length + data.length + extra.length);
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    out.set(extra, 8 + h.length + data.length);
    return out;
  };

  it('accepts what it writes', () => {
    expect([...readSafetensors(good()).tensors.keys()]).toEqual(['a', 'b']);
  });

  it('refuses a gap between tensors, and bytes after the last one', () => {
    // b moves 4 bytes on, leaving a hole: shrink a by one float so sizes still match.
    const gap = withHeader(writeSafetensors({ a: t(3), b: t(3) }), (h) => h.replace('"shape":[3],"data_offsets":[0,12]', '"shape":[2],"data_offsets":[0,8]'));
    expectCode(() => readSafetensors(gap), 'GAP_BETWEEN_TENSORS');
    const late = withHeader(good(), (h) => h.replace('"data_offsets":[0,8]', '"data_offsets":[0,8]'), new Uint8Array(4));
    expectCode(() => readSafetensors(late), 'TRAILING_BYTES');
  });

  it('refuses a key named twice, at the top and inside the metadata', () => {
    const twice = withHeader(good(), (h) => h.replace('{"__metadata__"', '{"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]},"__metadata__"'));
    expectCode(() => readSafetensors(twice), 'DUPLICATE_KEY');
    const meta = withHeader(good(), (h) => h.replace('{"k":"v"}', '{"k":"v","k":"w"}'));
    expect(() => readSafetensors(meta)).toThrow(/"k" twice/);
    // Escaped quotes and braces inside strings are not structure.
    const tricky = writeSafetensors({ a: t(1) }, { 'x"}{': '",{"a":1}', y: '\\' });
    expect(readSafetensors(tricky).metadata).toEqual({ 'x"}{': '",{"a":1}', y: '\\' });
  });

  it('refuses a header larger than 100 MB before reading it', () => {
    const f = good();
    new DataView(f.buffer).setUint32(0, 600_000_000, true);
    expect(() => readSafetensors(f)).toThrow(/more than the 100 MB/);
  });
});
});
