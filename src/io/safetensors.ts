/**
 * Reader and writer for the safetensors format:
 *
 *   [u64 little-endian N] [N bytes of UTF-8 JSON header] [raw little-endian data]
 *
 * The header maps tensor names to `{ dtype, shape, data_offsets: [begin, end] }`
 * (offsets relative to the start of the data section) and may contain a
 * `"__metadata__"` object of string → string.
 *
 * Browser/worker safe: only TextEncoder/TextDecoder, DataView and typed arrays.
 */

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/**
 * Tensor data. F16 and BF16 are kept as their raw 16-bit patterns in a
 * Uint16Array (lossless and round-trippable); use `toFloat32` to decode.
 * BOOL is a Uint8Array of 0/1, I64/U64 are BigInt64Array/BigUint64Array.
 */
export type StData =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

export interface StTensor {
  dtype: Dtype;
  shape: number[];
  data: StData;
}

export interface StFile {
  tensors: Map<string, StTensor>;
  metadata: Record<string, string>;
}

export type SafetensorsErrorCode =
  | 'TRUNCATED'
  | 'HEADER_OUT_OF_BOUNDS'
  | 'INVALID_JSON'
  | 'INVALID_HEADER'
  | 'INVALID_METADATA'
  | 'UNKNOWN_DTYPE'
  | 'INVALID_SHAPE'
  | 'INVALID_OFFSETS'
  | 'OFFSETS_OUT_OF_BOUNDS'
  | 'SIZE_MISMATCH'
  | 'OVERLAPPING_TENSORS'
  | 'GAP_BETWEEN_TENSORS'
  | 'TRAILING_BYTES'
  | 'DUPLICATE_KEY'
  | 'HEADER_TOO_LARGE'
  | 'INVALID_TENSOR';

/** The largest header the reader accepts (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string) {
    super(message);
    this.name = 'SafetensorsError';
    this.code = code;
  }
}

interface DtypeInfo {
  size: number;
  ctor: { new (buffer: ArrayBuffer): StData; new (length: number): StData; BYTES_PER_ELEMENT: number; name: string };
}

const DTYPES: Record<Dtype, DtypeInfo> = {
  F64: { size: 8, ctor: Float64Array },
  F32: { size: 4, ctor: Float32Array },
  F16: { size: 2, ctor: Uint16Array },
  BF16: { size: 2, ctor: Uint16Array },
  I64: { size: 8, ctor: BigInt64Array },
  I32: { size: 4, ctor: Int32Array },
  I16: { size: 2, ctor: Int16Array },
  I8: { size: 1, ctor: Int8Array },
  U64: { size: 8, ctor: BigUint64Array },
  U32: { size: 4, ctor: Uint32Array },
  U16: { size: 2, ctor: Uint16Array },
  U8: { size: 1, ctor: Uint8Array },
  BOOL: { size: 1, ctor: Uint8Array },
};

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: Dtype): number {
  return DTYPES[dtype].size;
}

function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the byte order of every `size`-byte element in place (big-endian hosts only). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Number of elements of a shape; throws on invalid shapes. */
function numel(shape: unknown, name: string): number {
  if (!Array.isArray(shape)) {
    throw new SafetensorsError('INVALID_SHAPE', `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError('INVALID_SHAPE', `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new SafetensorsError('INVALID_SHAPE', `tensor "${name}": shape ${JSON.stringify(shape)} has too many elements`);
  }
  return n;
}

/**
 * The first key that an object of this JSON text names twice, or null. Run
 * on text JSON.parse accepted, so only strings and nesting need care.
 */
function duplicateKey(json: string): string | null {
  const stack: (Set<string> | null)[] = []; // one entry per open object (a Set) or array (null)
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse a safetensors file. Tensor data is copied into freshly allocated (and
 * therefore aligned) typed arrays, so the result does not alias `bytes`.
 * Throws `SafetensorsError` for anything malformed.
 */
export function readSafetensors(bytes: Uint8Array): StFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError('TRUNCATED', 'safetensors: expected the file contents as a Uint8Array');
  }
  if (bytes.length < 8) {
    throw new SafetensorsError(
      'TRUNCATED',
      `safetensors: file is only ${bytes.length} bytes long; it must start with an 8-byte header length (truncated or not a safetensors file?)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 0x1_0000_0000 + lo;
  if (headerLen > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      'HEADER_TOO_LARGE',
      `safetensors: the header claims ${headerLen} bytes, more than the ${MAX_HEADER_BYTES / 1e6} MB a header may have (damaged, or not a safetensors file?)`,
    );
  }
  if (headerLen > bytes.length - 8) {
    throw new SafetensorsError(
      'HEADER_OUT_OF_BOUNDS',
      `safetensors: header claims ${headerLen} bytes but the file has only ${bytes.length - 8} bytes after the length field (truncated or not a safetensors file?)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new SafetensorsError('INVALID_JSON', 'safetensors: header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('INVALID_JSON', `safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError('INVALID_HEADER', 'safetensors: header must be a JSON object mapping tensor names to descriptions');
  }
  const dup = duplicateKey(text);
  if (dup !== null) {
    throw new SafetensorsError('DUPLICATE_KEY', `safetensors: the header names ${JSON.stringify(dup)} twice (JSON would silently keep the last one)`);
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, desc] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(desc)) {
        throw new SafetensorsError('INVALID_METADATA', 'safetensors: "__metadata__" must be an object of string values');
      }
      for (const [k, v] of Object.entries(desc)) {
        if (typeof v !== 'string') {
          throw new SafetensorsError('INVALID_METADATA', `safetensors: metadata value for "${k}" must be a string, got ${JSON.stringify(v)}`);
        }
        metadata[k] = v;
      }
      continue;
    }
    if (!isPlainObject(desc)) {
      throw new SafetensorsError('INVALID_HEADER', `tensor "${name}": description must be an object with dtype, shape and data_offsets`);
    }
    const dtype = desc.dtype;
    if (!isDtype(dtype)) {
      throw new SafetensorsError(
        'UNKNOWN_DTYPE',
        `tensor "${name}": unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`,
      );
    }
    const n = numel(desc.shape, name);
    const offs = desc.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      (offs[0] as number) > (offs[1] as number)
    ) {
      throw new SafetensorsError('INVALID_OFFSETS', `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const begin = offs[0] as number;
    const end = offs[1] as number;
    if (end > dataLen) {
      throw new SafetensorsError(
        'OFFSETS_OUT_OF_BOUNDS',
        `tensor "${name}": data_offsets [${begin}, ${end}] reach past the end of the data section (${dataLen} bytes; file truncated?)`,
      );
    }
    const expected = n * DTYPES[dtype].size;
    if (end - begin !== expected) {
      throw new SafetensorsError(
        'SIZE_MISMATCH',
        `tensor "${name}": shape ${JSON.stringify(desc.shape)} of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: (desc.shape as number[]).slice(), begin, end });
  }

  // The data section is the tensors' bytes back to back: no overlap, no gap, nothing after.
  const byStart = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const [i, e] of byStart.entries()) {
    if (e.begin < covered) {
      throw new SafetensorsError('OVERLAPPING_TENSORS', `tensors "${byStart[i - 1].name}" and "${e.name}" have overlapping data`);
    }
    if (e.begin > covered) {
      const before = i === 0 ? 'the start of the data section' : `tensor "${byStart[i - 1].name}"`;
      throw new SafetensorsError('GAP_BETWEEN_TENSORS', `tensor "${e.name}" starts ${e.begin - covered} bytes after ${before}: the data section has a gap`);
    }
    covered = e.end;
  }
  if (covered !== dataLen) {
    throw new SafetensorsError('TRAILING_BYTES', `safetensors: ${dataLen - covered} bytes follow the last tensor's data (damaged, or two files joined?)`);
  }

  const tensors = new Map<string, StTensor>();
  for (const e of entries) {
    const info = DTYPES[e.dtype];
    const buf = new ArrayBuffer(e.end - e.begin);
    const raw = new Uint8Array(buf);
    raw.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (!LITTLE_ENDIAN) swapBytes(raw, info.size);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new info.ctor(buf) });
  }
  return { tensors, metadata };
}

/** Coerce `data` to the typed-array class of `dtype` (copying only when needed). */
function asDtypeArray(name: string, t: StTensor): StData {
  const info = DTYPES[t.dtype];
  const data = t.data as unknown;
  if (data instanceof info.ctor) return data as StData;
  if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw new SafetensorsError('INVALID_TENSOR', `tensor "${name}": data must be a typed array`);
  }
  const src = data as ArrayLike<number | bigint>;
  const out = new info.ctor(src.length);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      out[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    }
  } else {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  }
  return out;
}

/**
 * Serialise tensors (written in sorted-name order) and optional string
 * metadata. The header is padded with spaces so that the data section starts
 * at an 8-byte-aligned offset.
 */
export function writeSafetensors(
  tensors: Map<string, StTensor> | Record<string, StTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const map: Map<string, StTensor> = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const names = [...map.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new SafetensorsError('INVALID_METADATA', 'safetensors: metadata must be an object of string values');
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new SafetensorsError('INVALID_METADATA', `safetensors: metadata value for "${k}" must be a string, got ${typeof v}`);
      }
      md[k] = v;
    }
    if (Object.keys(md).length > 0) header.__metadata__ = md;
  }

  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new SafetensorsError('INVALID_TENSOR', 'safetensors: "__metadata__" cannot be used as a tensor name');
    const t = map.get(name)!;
    if (!isDtype(t.dtype)) {
      throw new SafetensorsError('UNKNOWN_DTYPE', `tensor "${name}": unsupported dtype ${JSON.stringify(t.dtype)}`);
    }
    const n = numel(t.shape, name);
    const data = asDtypeArray(name, t);
    if (data.length !== n) {
      throw new SafetensorsError('SIZE_MISMATCH', `tensor "${name}": shape ${JSON.stringify(t.shape)} has ${n} elements but data has ${data.length}`);
    }
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!LITTLE_ENDIAN) {
      bytes = bytes.slice();
      swapBytes(bytes, DTYPES[t.dtype].size);
    }
    header[name] = { dtype: t.dtype, shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
    payloads.push(bytes);
    offset += bytes.length;
  }

  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad);
    padded.set(json);
    padded.fill(0x20, json.length);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length % 0x1_0000_0000, true);
  view.setUint32(4, Math.floor(json.length / 0x1_0000_0000), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const b of payloads) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** IEEE 754 half-precision bits → number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Tensor data as a Float32Array. F32 data is returned as-is (not copied);
 * every other dtype (F64, F16, BF16, integers, BOOL) is converted into a new array.
 */
export function toFloat32(t: StTensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'F32' && d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  if (t.dtype === 'F16') {
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat(Number(d[i]));
  } else if (t.dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < d.length; i++) u32[i] = (Number(d[i]) & 0xffff) << 16;
  } else {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  }
  return out;
}
