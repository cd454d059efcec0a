/**
 * The `torch.save` zip layout (PyTorch ≥ 1.6): `<archive>/data.pkl` is the
 * pickled object, whose tensors are `torch._utils._rebuild_tensor_v2` calls
 * on persistent ids `('storage', torch.<T>Storage, key, location, numel)`,
 * each storage being the raw bytes of the entry `<archive>/data/<key>`
 * (little-endian unless `<archive>/byteorder` says otherwise).
 *
 * Tensors are lazy: unpickling only checks that each tensor fits its storage
 * and each storage its zip entry; `tensorData` reads the bytes of the
 * tensors actually used (weights; optimizer states are never read).
 */
import type { Dtype, StData, StTensor } from '../safetensors.ts';
import { CkptError, type CkptLimits } from './errors.ts';
import { describe, PyGlobal, PyTuple, unpickle, type PyExtension, type PyValue } from './pickle.ts';
import { ZipArchive, type ByteSource, type ZipEntry } from './zip.ts';

interface DtypeInfo { dtype: Dtype; size: number; ctor: { new (buffer: ArrayBuffer): StData } }

const F32: DtypeInfo = { dtype: 'F32', size: 4, ctor: Float32Array };
/** torch.<Name>Storage → the element type of its bytes. */
const STORAGE_TYPES: Record<string, DtypeInfo> = {
  FloatStorage: F32,
  DoubleStorage: { dtype: 'F64', size: 8, ctor: Float64Array },
  HalfStorage: { dtype: 'F16', size: 2, ctor: Uint16Array },
  BFloat16Storage: { dtype: 'BF16', size: 2, ctor: Uint16Array },
  LongStorage: { dtype: 'I64', size: 8, ctor: BigInt64Array },
  IntStorage: { dtype: 'I32', size: 4, ctor: Int32Array },
  ShortStorage: { dtype: 'I16', size: 2, ctor: Int16Array },
  CharStorage: { dtype: 'I8', size: 1, ctor: Int8Array },
  ByteStorage: { dtype: 'U8', size: 1, ctor: Uint8Array },
  BoolStorage: { dtype: 'BOOL', size: 1, ctor: Uint8Array },
  UntypedStorage: { dtype: 'U8', size: 1, ctor: Uint8Array },
};

/** Human names of the dtypes, as torch prints them. */
export const TORCH_DTYPE_NAMES: Record<Dtype, string> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
};

export class StorageRef implements PyExtension {
  readonly pyType = 'storage';
  constructor(readonly key: string, readonly info: DtypeInfo, readonly numel: number, readonly entry: ZipEntry) {}
}

export class TensorRef implements PyExtension {
  readonly pyType = 'tensor';
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[], readonly numel: number) {}
  get dtype(): Dtype {
    return this.storage.info.dtype;
  }
  /** Row-major contiguous (strides of size-1 dimensions do not matter, as in torch). */
  get contiguous(): boolean {
    let want = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== want) return false;
      want *= this.shape[i];
    }
    return true;
  }
}

export interface TorchFile {
  /** The unpickled object (tensors as TensorRef). */
  root: PyValue;
  /** Every global data.pkl names. */
  globals: Set<string>;
  protocol: number;
  /** The archive's folder name inside the zip (torch uses the file's stem). */
  archiveName: string;
  byteOrder: 'little' | 'big';
  archive: ZipArchive;
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const isIndex = (v: PyValue, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

function intTuple(v: PyValue | undefined, what: string, limits: CkptLimits): number[] {
  if (!(v instanceof PyTuple) || v.items.length > limits.maxTensorDims) {
    throw new CkptError('bad-tensor', `a tensor's ${what} is ${v instanceof PyTuple ? `${v.items.length}-dimensional (at most ${limits.maxTensorDims})` : describe(v)}, not a tuple of sizes`);
  }
  return v.items.map((x) => {
    if (!isIndex(x)) throw new CkptError('bad-tensor', `a tensor's ${what} holds ${describe(x)}, not a non-negative integer`);
    return x;
  });
}

/** Open a torch zip checkpoint and unpickle its data.pkl (tensors stay in the file until `tensorData`). */
export function openTorchZip(source: ByteSource, limits: CkptLimits): TorchFile {
  const archive = ZipArchive.open(source, limits);
  const first = archive.entries.keys().next();
  const firstName = first.done ? '' : first.value;
  const slash = firstName.indexOf('/');
  const archiveName = slash > 0 ? firstName.slice(0, slash) : '';
  const pkl = archive.entries.get(`${archiveName}/data.pkl`);
  if (!pkl) {
    throw new CkptError('not-lightning', archive.entries.size === 0
      ? 'This zip archive is empty: not a PyTorch checkpoint'
      : `This zip archive has no ${archiveName || '<archive>'}/data.pkl: it is not a PyTorch checkpoint (torch.save)`);
  }
  let byteOrder: 'little' | 'big' = 'little';
  const bo = archive.entries.get(`${archiveName}/byteorder`);
  if (bo) {
    if (bo.size > 16) throw new CkptError('bad-zip', `${archiveName}/byteorder is ${bo.size} bytes long; it should say "little" or "big"`);
    const s = new TextDecoder().decode(archive.read(bo)).trim();
    if (s !== 'little' && s !== 'big') throw new CkptError('bad-zip', `${archiveName}/byteorder says ${JSON.stringify(s)}, not "little" or "big"`);
    byteOrder = s;
  }
  if (pkl.size > limits.maxPickleBytes) {
    throw new CkptError('too-large', `data.pkl declares ${pkl.size} bytes, more than the ${limits.maxPickleBytes} allowed`);
  }
  const data = archive.read(pkl);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t.length !== 5 || t[0] !== 'storage') throw new CkptError('bad-pickle', `pickle: a persistent id that is not a storage record (${describe(pid)})`);
    const [, type, key, , numel] = t;
    const typeName = type instanceof PyGlobal && (type.module === 'torch' || type.module === 'torch.storage') ? type.name : null;
    const info = typeName !== null && Object.prototype.hasOwnProperty.call(STORAGE_TYPES, typeName) ? STORAGE_TYPES[typeName] : null;
    if (!info) throw new CkptError('unsupported-tensor', `a storage of type ${describe(type)}, which this reader does not know`);
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) throw new CkptError('bad-pickle', `pickle: a storage key ${describe(key)} that names no zip entry`);
    if (!isIndex(numel)) throw new CkptError('bad-tensor', `storage ${key} declares ${describe(numel)} elements`);
    const known = storages.get(key);
    if (known) {
      if (known.info !== info || known.numel !== numel) throw new CkptError('bad-tensor', `storage ${key} is declared twice with different types or sizes`);
      return known;
    }
    const entry = archive.entries.get(`${archiveName}/data/${key}`);
    if (!entry) throw new CkptError('bad-tensor', `storage ${key} has no zip entry ${archiveName}/data/${key} (the file is incomplete)`);
    if (entry.size !== numel * info.size) {
      throw new CkptError('bad-tensor', `storage ${key} declares ${numel} ${TORCH_DTYPE_NAMES[info.dtype]} elements (${numel * info.size} bytes) but its zip entry holds ${entry.size} bytes`);
    }
    const s = new StorageRef(key, info, numel, entry);
    storages.set(key, s);
    return s;
  };

  const rebuild = (args: PyValue[]): TensorRef => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) throw new CkptError('bad-tensor', `a tensor rebuilt from ${describe(storage)} instead of a storage`);
    if (!isIndex(offset)) throw new CkptError('bad-tensor', `a tensor with storage offset ${describe(offset)}`);
    const shape = intTuple(size, 'size', limits);
    const strides = intTuple(stride, 'stride', limits);
    if (strides.length !== shape.length) throw new CkptError('bad-tensor', `a tensor of size (${shape.join(', ')}) with stride (${strides.join(', ')})`);
    let numel = 1, last = offset;
    for (let i = 0; i < shape.length; i++) {
      numel *= shape[i];
      if (shape[i] > 0) last += (shape[i] - 1) * strides[i];
    }
    if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(last)) throw new CkptError('bad-tensor', `a tensor of size (${shape.join(', ')}) is impossibly large`);
    if (numel > 0 && last >= storage.numel) {
      throw new CkptError('bad-tensor', `a tensor of size (${shape.join(', ')}) at offset ${offset} reaches element ${last} of storage ${storage.key}, which has ${storage.numel}`);
    }
    return new TensorRef(storage, offset, shape, strides, numel);
  };

  const call = (fn: PyGlobal, args: PyValue[]): PyValue | undefined => {
    switch (fn.qualified) {
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return rebuild(args);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return args[0] instanceof TensorRef ? args[0] : undefined;
      case 'torch._utils._rebuild_from_type_v2': {
        // (func, new_type, args, state): a tensor subclass or a tensor with attributes.
        const [func, , inner] = args;
        if (func instanceof PyGlobal && inner instanceof PyTuple) return call(func, inner.items);
        return undefined;
      }
      default:
        return undefined;
    }
  };

  const { value, globals, protocol } = unpickle(data, limits, { persistentLoad, call });
  return { root: value, globals, protocol, archiveName, byteOrder, archive };
}

/**
 * The data of a tensor, read from its storage's zip entry, as a safetensors
 * tensor (F16/BF16 as raw 16-bit patterns; `toFloat32` widens them).
 * Refuses non-contiguous tensors. `cache` keeps each storage's bytes while a
 * caller reads several views of it.
 */
export function tensorData(file: TorchFile, t: TensorRef, name: string, cache?: Map<string, Uint8Array>): StTensor {
  if (!t.contiguous) {
    throw new CkptError('unsupported-tensor', `Tensor ${name} is not contiguous (size (${t.shape.join(', ')}), stride (${t.stride.join(', ')})); save it with .contiguous() first`);
  }
  const info = t.storage.info;
  let raw = cache?.get(t.storage.key);
  if (!raw) {
    raw = file.archive.read(t.storage.entry);
    cache?.set(t.storage.key, raw);
  }
  const begin = t.offset * info.size, len = t.numel * info.size;
  const buf = new ArrayBuffer(len);
  const out = new Uint8Array(buf);
  out.set(raw.subarray(begin, begin + len));
  if ((file.byteOrder === 'little') !== HOST_LITTLE && info.size > 1) {
    for (let i = 0; i < len; i += info.size) out.subarray(i, i + info.size).reverse();
  }
  return { dtype: info.dtype, shape: t.shape.slice(), data: new info.ctor(buf) };
}
