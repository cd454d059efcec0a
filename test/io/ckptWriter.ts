/**
 * Test-side writer of PyTorch Lightning `.ckpt` files laid out as the official
 * trainer saves them (torch.save's zip of stored, 64-byte-aligned entries;
 * data.pkl in pickle protocol 2 with persistent-id storages; an OrderedDict
 * state_dict with the `backbone.` prefix; `ema.shadow_params`;
 * `hyper_parameters.config` as a pickled OmegaConf DictConfig; a pickled
 * tokenizer object), from weights of any shape. Also the pieces (a pickle
 * writer, a zip writer) for tests that build damaged or unusual files.
 * No Python or torch: the format is written from its description.
 */
import { deflateSync } from 'fflate';
import { ropeInvFreq } from '../../src/engine/host/rope.ts';
import { crc32 } from '../../src/io/ckpt/zip.ts';
import type { DiTConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';

// ---------------------------------------------------------------- pickle values

export class PGlobal { constructor(readonly module: string, readonly name: string) {} }
/** REDUCE: fn(*args). */
export class PCall { constructor(readonly fn: PV, readonly args: PV[]) {} }
/** NEWOBJ cls(*args), then BUILD with `state` (set later for cyclic structures). */
export class PObj { constructor(readonly cls: PGlobal, readonly args: PV[] = [], public state?: PV) {} }
export class PTuple { constructor(readonly items: PV[]) {} }
export class PDict { constructor(readonly entries: [PV, PV][] = []) {} }
/** An OrderedDict (REDUCE of collections.OrderedDict, then SETITEMS). */
export class POrdered { constructor(readonly entries: [PV, PV][] = []) {} }
export class PFloat { constructor(readonly v: number) {} }
/** Opcodes written as they are. */
export class PRaw { constructor(readonly bytes: Uint8Array) {} }

export type TorchDtype = 'f32' | 'bf16' | 'f16' | 'f64' | 'i64';
const STORAGE: Record<TorchDtype, [string, number]> = {
  f32: ['FloatStorage', 4], bf16: ['BFloat16Storage', 2], f16: ['HalfStorage', 2], f64: ['DoubleStorage', 8], i64: ['LongStorage', 8],
};

/** A storage: its elements (already in `dtype`'s value set), written once however many tensors view it. */
export class PStorage {
  key = '';
  constructor(readonly data: ArrayLike<number>, readonly dtype: TorchDtype) {}
}
/** A tensor: a view (offset, shape, stride) of a storage; contiguous over its own storage by default. */
export class PTensor {
  readonly storage: PStorage;
  constructor(
    data: ArrayLike<number> | PStorage, readonly shape: number[], dtype: TorchDtype = 'f32',
    readonly offset = 0, readonly stride?: number[],
  ) {
    this.storage = data instanceof PStorage ? data : new PStorage(data, dtype);
  }
}

export type PV = null | boolean | number | string | Uint8Array | PV[] | PTuple | PDict | POrdered | PGlobal | PCall | PObj | PFloat | PTensor | PRaw;

// ---------------------------------------------------------------- pickle writer

class Out {
  private chunks: number[] = [];
  byte(...b: number[]) { this.chunks.push(...b); }
  u16(v: number) { this.byte(v & 0xff, (v >>> 8) & 0xff); }
  u32(v: number) { this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff); }
  bytes(b: Uint8Array) { for (const x of b) this.chunks.push(x); }
  get length() { return this.chunks.length; }
  done() { return Uint8Array.from(this.chunks); }
}

/** Pickle `root` (protocol 2, memoizing objects so that shared and cyclic references work); tensors' storages get keys 0, 1, … */
export function pickle(root: PV, storages: PStorage[] = []): Uint8Array {
  const o = new Out();
  const memo = new Map<object, number>();
  const put = (x: object) => {
    const i = memo.size;
    memo.set(x, i);
    if (i < 256) o.byte(0x71, i); else { o.byte(0x72); o.u32(i); }
  };
  const get = (i: number) => { if (i < 256) o.byte(0x68, i); else { o.byte(0x6a); o.u32(i); } };
  const str = (s: string) => { const b = new TextEncoder().encode(s); o.byte(0x58); o.u32(b.length); o.bytes(b); };
  const int = (v: number) => {
    if (v >= 0 && v < 256) o.byte(0x4b, v);
    else if (v >= 0 && v < 65536) { o.byte(0x4d); o.u16(v); }
    else if (v >= -(2 ** 31) && v < 2 ** 31) { o.byte(0x4a); o.u32(v >>> 0); }
    else { // LONG1
      let b = BigInt(v); const bytes: number[] = [];
      while (true) { bytes.push(Number(b & 0xffn)); b >>= 8n; if ((b === 0n && !(bytes[bytes.length - 1] & 0x80)) || (b === -1n && bytes[bytes.length - 1] & 0x80)) break; }
      o.byte(0x8a, bytes.length, ...bytes);
    }
  };
  const float = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, false); o.byte(0x47); o.bytes(b); };
  const global = (g: PGlobal) => { o.byte(0x63); o.bytes(new TextEncoder().encode(`${g.module}\n${g.name}\n`)); };
  const tuple = (items: PV[]) => {
    if (items.length === 0) o.byte(0x29);
    else if (items.length <= 3) { items.forEach(w); o.byte(0x84 + items.length); }
    else { o.byte(0x28); items.forEach(w); o.byte(0x74); }
  };
  const setItems = (entries: [PV, PV][]) => {
    for (let i = 0; i < entries.length; i += 1000) {
      o.byte(0x28);
      for (const [k, v] of entries.slice(i, i + 1000)) { w(k); w(v); }
      o.byte(0x75);
    }
  };
  function w(v: PV): void {
    if (v === null) return o.byte(0x4e);
    if (v === true) return o.byte(0x88);
    if (v === false) return o.byte(0x89);
    if (typeof v === 'number') return Number.isInteger(v) ? int(v) : float(v);
    if (typeof v === 'string') return str(v);
    if (v instanceof PFloat) return float(v.v);
    if (v instanceof PRaw) return o.bytes(v.bytes);
    if (v instanceof Uint8Array) { o.byte(0x42); o.u32(v.length); o.bytes(v); return; }
    const seen = memo.get(v);
    if (seen !== undefined) return get(seen);
    if (Array.isArray(v)) {
      o.byte(0x5d); put(v);
      for (let i = 0; i < v.length; i += 1000) { o.byte(0x28); v.slice(i, i + 1000).forEach(w); o.byte(0x65); }
      return;
    }
    if (v instanceof PTuple) { tuple(v.items); put(v); return; }
    if (v instanceof PDict) { o.byte(0x7d); put(v); setItems(v.entries); return; }
    if (v instanceof POrdered) { global(new PGlobal('collections', 'OrderedDict')); o.byte(0x29, 0x52); put(v); setItems(v.entries); return; }
    if (v instanceof PGlobal) { global(v); put(v); return; }
    if (v instanceof PCall) { w(v.fn); tuple(v.args); o.byte(0x52); put(v); return; }
    if (v instanceof PObj) {
      w(v.cls); tuple(v.args); o.byte(0x81); put(v);
      if (v.state !== undefined) { w(v.state); o.byte(0x62); }
      return;
    }
    if (v instanceof PTensor) {
      const s = v.storage;
      if (!s.key) { s.key = String(storages.length); storages.push(s); }
      const [type] = STORAGE[s.dtype];
      global(new PGlobal('torch._utils', '_rebuild_tensor_v2'));
      o.byte(0x28);
      tuple(['storage', new PGlobal('torch', type), s.key, 'cpu', s.data.length]);
      o.byte(0x51); // BINPERSID
      int(v.offset);
      tuple(v.shape);
      tuple(v.stride ?? contiguousStride(v.shape));
      o.byte(0x89);
      w(new POrdered());
      o.byte(0x74, 0x52);
      put(v);
      return;
    }
    throw new Error(`pickle writer: cannot write ${String(v)}`);
  }
  o.byte(0x80, 2);
  w(root);
  o.byte(0x2e);
  return o.done();
}

export function contiguousStride(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = k; k *= shape[i]; }
  return s;
}

// ---------------------------------------------------------------- element encoding

/** float32 → bfloat16 bits (round to nearest even). */
export function toBf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
export const fromBf16Bits = (b: number): number => new Float32Array(new Uint32Array([b << 16]).buffer)[0];
/** float → float16 bits (round to nearest even; normal and subnormal range). */
export function toF16Bits(x: number): number {
  const f = Math.fround(x);
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  return sign | ((e + 15) << 10) | m;
}
export function fromF16Bits(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}
/** What a value becomes when stored as `dtype` and read back as float32. */
export function roundTo(dtype: TorchDtype, x: number): number {
  return dtype === 'bf16' ? fromBf16Bits(toBf16Bits(x)) : dtype === 'f16' ? fromF16Bits(toF16Bits(x)) : Math.fround(x);
}

function storageBytes(s: PStorage, bigEndian: boolean): Uint8Array {
  const [, size] = STORAGE[s.dtype];
  const out = new Uint8Array(s.data.length * size);
  const dv = new DataView(out.buffer);
  const le = !bigEndian;
  for (let i = 0; i < s.data.length; i++) {
    const x = s.data[i];
    if (s.dtype === 'f32') dv.setFloat32(i * 4, x, le);
    else if (s.dtype === 'f64') dv.setFloat64(i * 8, x, le);
    else if (s.dtype === 'bf16') dv.setUint16(i * 2, toBf16Bits(x), le);
    else if (s.dtype === 'f16') dv.setUint16(i * 2, toF16Bits(x), le);
    else dv.setBigInt64(i * 8, BigInt(x), le);
  }
  return out;
}

// ---------------------------------------------------------------- zip writer

export interface ZipOptions {
  /** Deflate every entry (torch.save never does; other zip tools may). */
  deflate?: boolean;
  /** Align entry data to this many bytes with a padding extra field, as torch.save does (64). */
  align?: number;
  /** Write zip64 records (end of directory, locator, extra fields) even for a small file. */
  zip64?: boolean;
}

/** A zip archive of `entries` in order (stored or deflated). */
export function zip(entries: [string, Uint8Array][], opts: ZipOptions = {}): Uint8Array {
  const align = opts.align ?? 64;
  const parts: Uint8Array[] = [];
  let offset = 0;
  const central: Uint8Array[] = [];
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const body = opts.deflate ? deflateSync(data) : data;
    const method = opts.deflate ? 8 : 0;
    const crc = crc32(data);
    const headerLen = 30 + nameBytes.length;
    let pad = align > 1 ? (align - ((offset + headerLen + 4) % align)) % align : 0;
    const extraLen = align > 1 ? 4 + pad : 0;
    const local = new Uint8Array(headerLen + extraLen);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); lv.setUint16(4, 20, true); lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true); lv.setUint32(18, body.length, true); lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true); lv.setUint16(28, extraLen, true);
    local.set(nameBytes, 30);
    if (extraLen) { lv.setUint16(headerLen, 0x4246, true); lv.setUint16(headerLen + 2, pad, true); }
    pad = 0;
    const z64 = !!opts.zip64;
    const cextra = z64 ? 4 + 24 : 0;
    const c = new Uint8Array(46 + nameBytes.length + cextra);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 45, true); cv.setUint16(6, z64 ? 45 : 20, true); cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, z64 ? 0xffffffff : body.length, true); cv.setUint32(24, z64 ? 0xffffffff : data.length, true);
    cv.setUint16(28, nameBytes.length, true); cv.setUint16(30, cextra, true);
    cv.setUint32(42, z64 ? 0xffffffff : offset, true);
    c.set(nameBytes, 46);
    if (z64) {
      const e = 46 + nameBytes.length;
      cv.setUint16(e, 1, true); cv.setUint16(e + 2, 24, true);
      cv.setBigUint64(e + 4, BigInt(data.length), true); cv.setBigUint64(e + 12, BigInt(body.length), true); cv.setBigUint64(e + 20, BigInt(offset), true);
    }
    central.push(c);
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  parts.push(...central);
  offset += cdSize;
  if (opts.zip64) {
    const z = new Uint8Array(56);
    const zv = new DataView(z.buffer);
    zv.setUint32(0, 0x06064b50, true); zv.setBigUint64(4, 44n, true); zv.setUint16(12, 45, true); zv.setUint16(14, 45, true);
    zv.setBigUint64(24, BigInt(entries.length), true); zv.setBigUint64(32, BigInt(entries.length), true);
    zv.setBigUint64(40, BigInt(cdSize), true); zv.setBigUint64(48, BigInt(cdOffset), true);
    const loc = new Uint8Array(20);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, 0x07064b50, true); lv.setBigUint64(8, BigInt(offset), true); lv.setUint32(16, 1, true);
    parts.push(z, loc);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, opts.zip64 ? 0xffff : entries.length, true); ev.setUint16(10, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true); ev.setUint32(16, opts.zip64 ? 0xffffffff : cdOffset, true);
  parts.push(end);
  const total = parts.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const x of parts) { out.set(x, p); p += x.length; }
  return out;
}

export interface TorchSaveOptions extends ZipOptions {
  /** The folder inside the zip (torch: the file's stem). */
  archive?: string;
  /** Write a `byteorder` record and the storages in this order (torch ≥ 2.1 writes "little"). */
  byteorder?: 'little' | 'big';
  /** Replace data.pkl with these bytes (after the storages were collected from `root`). */
  pickleBytes?: Uint8Array;
}

/** What torch.save(root) writes: the zip of data.pkl, the storages and the version record. */
export function torchSave(root: PV, opts: TorchSaveOptions = {}): Uint8Array {
  const a = opts.archive ?? 'archive';
  const storages: PStorage[] = [];
  const pkl = pickle(root, storages);
  const entries: [string, Uint8Array][] = [[`${a}/data.pkl`, opts.pickleBytes ?? pkl]];
  if (opts.byteorder) entries.push([`${a}/byteorder`, new TextEncoder().encode(opts.byteorder)]);
  for (const s of storages) entries.push([`${a}/data/${s.key}`, storageBytes(s, opts.byteorder === 'big')]);
  entries.push([`${a}/version`, new TextEncoder().encode('3\n')]);
  return zip(entries, opts);
}

// ---------------------------------------------------------------- the Lightning layout

const G = (m: string, n: string) => new PGlobal(m, n);
const ANY = G('typing', 'Any');
const DICT = G('builtins', 'dict');

/** A pickled OmegaConf DictConfig of plain data (`_content` of AnyNodes, `_parent` links as OmegaConf pickles them). */
export function dictConfig(tree: Record<string, unknown>, parent: PObj | null = null, key: string | null = null): PObj {
  const cfg = new PObj(G('omegaconf.dictconfig', 'DictConfig'));
  const meta = (k: string | null, container: boolean) => new PObj(G('omegaconf.base', container ? 'ContainerMetadata' : 'Metadata'), [], new PDict([
    ['ref_type', ANY], ['object_type', container ? DICT : null], ['optional', true], ['key', k], ['flags', new PDict()],
    ['flags_root', false], ['resolver_cache', new PCall(G('collections', 'defaultdict'), [DICT])],
    ...(container ? [['key_type', ANY], ['element_type', ANY]] as [PV, PV][] : []),
  ]));
  const content: [PV, PV][] = Object.entries(tree).map(([k, v]) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return [k, dictConfig(v as Record<string, unknown>, cfg, k)];
    const node = new PObj(G('omegaconf.nodes', 'AnyNode'));
    node.state = new PDict([['_metadata', meta(k, false)], ['_parent', cfg], ['_val', v as PV]]);
    return [k, node];
  });
  cfg.state = new PDict([['_metadata', meta(key, true)], ['_parent', parent], ['_content', new PDict(content)]]);
  return cfg;
}

/** The official module order of the DiT's state_dict (the rotary buffer after the time embeddings). */
export function officialOrder(cfg: DiTConfig): { name: string; shape: number[]; offset: number; size: number }[] {
  const specs = paramLayout(cfg).specs;
  const rank = (n: string) => (n.startsWith('vocab_embed') ? 0 : n.startsWith('sigma_map_prime') ? 2 : n.startsWith('sigma_map') ? 1
    : n.startsWith('learnable_loss_weighting') ? 4 : n.startsWith('blocks') ? 5 : 6);
  return specs.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s.name) - rank(b.s.name) || a.i - b.i).map(({ s }) => s);
}

export interface LightningSpec {
  config: DiTConfig;
  /** Raw weights, flat in paramLayout(config). */
  params: Float32Array;
  /** EMA weights, flat in paramLayout(config); none: no `ema` entry. */
  ema?: Float32Array;
  /** dtype of the state_dict (the EMA stays float32, as the official trainer keeps it). */
  dtype?: TorchDtype;
  prefix?: string;
  /** Add `teacher.*` copies of the weights (a distillation run). */
  teacher?: boolean;
  globalStep?: number;
  tokenizerName?: string;
  /** Config edits: a dotted path → a value (undefined deletes the key). */
  configEdits?: Record<string, unknown>;
  /** Extra top-level entries (callbacks, …). */
  extra?: [string, PV][];
  /** Replace state_dict entries by name (after the prefix): a value, or undefined to drop it. */
  stateDictEdits?: Record<string, PV | undefined>;
  /** Replace the shadow params list. */
  shadowParams?: PV;
  /** Leave out the rotary buffer. */
  noInvFreq?: boolean;
}

/** The Lightning checkpoint object (the pickled dict) for `spec`. */
export function lightningObject(spec: LightningSpec): PDict {
  const { config: c } = spec;
  const dtype = spec.dtype ?? 'f32';
  const prefix = spec.prefix ?? 'backbone.';
  const order = officialOrder(c);
  const headDim = c.hidden / c.heads;
  const slice = (flat: Float32Array, s: { offset: number; size: number }) => flat.slice(s.offset, s.offset + s.size);
  const sd: [PV, PV][] = [];
  const put = (name: string, t: PV | undefined) => {
    const edited = spec.stateDictEdits && name in spec.stateDictEdits ? spec.stateDictEdits[name] : t;
    if (edited !== undefined) sd.push([prefix + name, edited]);
  };
  for (const s of order) {
    put(s.name, new PTensor(slice(spec.params, s), s.shape, dtype));
    if (s.name === (c.twoTime ? 'sigma_map_prime.mlp.2.bias' : 'sigma_map.mlp.2.bias') && !spec.noInvFreq) {
      put('rotary_emb.inv_freq', new PTensor(ropeInvFreq(headDim), [headDim / 2], dtype));
    }
  }
  for (const [k] of Object.entries(spec.stateDictEdits ?? {})) if (!sd.some(([n]) => n === prefix + k) && spec.stateDictEdits![k] !== undefined) sd.push([prefix + k, spec.stateDictEdits![k]!]);
  if (spec.teacher) for (const s of order) sd.push([`teacher.${s.name}`, new PTensor(slice(spec.params, s), s.shape, dtype)]);

  const tree: Record<string, unknown> = {
    algo: {
      name: c.twoTime ? 'flm_distill_double' : 'flm', backbone: 'dit', parameterization: 'mean', T: 0,
      causal_attention: false, double_temb: c.twoTime, learnable_loss_weighting: c.lossWeighting,
    },
    model: { hidden_size: c.hidden, cond_dim: c.cond, length: c.length, n_blocks: c.blocks, n_heads: c.heads, scale_by_sigma: true, dropout: new PFloat(0) },
    data: { train: 'openwebtext', tokenizer_name_or_path: spec.tokenizerName ?? 'gpt2', wrap: true },
    training: { ema: new PFloat(0.9999), antithetic_sampling: true },
    eval: { disable_ema: false, gen_ppl_eval_model_name_or_path: 'gpt2-large' },
    sampling: { predictor: 'euler', steps: 1, p_nucleus: new PFloat(1) },
  };
  for (const [path, v] of Object.entries(spec.configEdits ?? {})) {
    const parts = path.split('.');
    let node = tree as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    if (v === undefined) delete node[parts[parts.length - 1]];
    else node[parts[parts.length - 1]] = v;
  }
  const tokenizer = new PObj(G('transformers.models.gpt2.tokenization_gpt2_fast', 'GPT2TokenizerFast'), [],
    new PDict([['name_or_path', spec.tokenizerName ?? 'gpt2'], ['model_max_length', 1024], ['vocab_size', c.vocab]]));
  const optimizer = new PDict([
    ['state', new PDict([[0, new PDict([['step', new PTensor([spec.globalStep ?? 0], [], 'f64')]])]])],
    ['param_groups', [new PDict([['lr', new PFloat(3e-4)], ['params', order.map((_, i) => i)]])]],
  ]);
  const entries: [PV, PV][] = [
    ['epoch', 0], ['global_step', spec.globalStep ?? 0], ['pytorch-lightning_version', '2.5.1'],
    ['state_dict', new POrdered(sd)],
    ['loops', new PDict([['fit_loop', new PDict([['state_dict', new PDict()]])]])],
    ['callbacks', new PDict()],
    ['optimizer_states', [optimizer]],
    ['lr_schedulers', [new PDict([['last_epoch', spec.globalStep ?? 0]])]],
    ['hparams_name', 'kwargs'],
    ['hyper_parameters', new PDict([['config', dictConfig(tree)], ['tokenizer', tokenizer], ['vocab_size', null]])],
    ...(spec.extra ?? []),
  ];
  if (spec.ema || spec.shadowParams) {
    const shadow = spec.shadowParams ?? order.map((s) => new PTensor(slice(spec.ema!, s), s.shape, 'f32'));
    entries.push(['ema', new PDict([['decay', new PFloat(0.9999)], ['num_updates', spec.globalStep ?? 0], ['shadow_params', shadow]])]);
  }
  return new PDict(entries);
}

/** A whole `.ckpt` file for `spec`. */
export function lightningCkpt(spec: LightningSpec, opts: TorchSaveOptions = {}): Uint8Array {
  return torchSave(lightningObject(spec), { archive: 'model', ...opts });
}
