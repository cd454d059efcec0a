/**
 * A restricted, bounded unpickler for the `data.pkl` of torch checkpoints
 * (pickle protocols 0–5 as CPython writes them; torch.save uses 2).
 *
 * It builds plain data only: None, booleans, numbers (big integers as
 * bigint), strings, bytes, lists, tuples, dicts, sets, and the few standard
 * containers pickles rebuild through a call (collections.OrderedDict and
 * defaultdict, set/frozenset, bytes via _codecs.encode). A caller-supplied
 * hook builds tensors (see torch.ts). Every other global — a class or a
 * function — becomes an inert `PyGlobal` that records its name, and calling,
 * instantiating or building it (REDUCE, NEWOBJ, INST, OBJ, BUILD) gives an
 * inert `PyObject` that records what it was given. Nothing is imported,
 * executed or constructed. Globals that no checkpoint needs and that would
 * run code if a real unpickler called them (os.system, builtins.eval,
 * subprocess.*, …) make the whole file refused ('unsafe-pickle').
 *
 * Every length, count and index is checked against the data and the limits
 * before it is used; every failure is a CkptError.
 */
import { CkptError, fmtBytes, type CkptLimits } from './errors.ts';

// ---------------------------------------------------------------- values

/** A value a hook builds (a tensor): opaque to the unpickler. */
export interface PyExtension {
  readonly pyType: string;
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PyValue[]
  | PyTuple | PyDict | PySet | PyGlobal | PyObject | PyExtension;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PySet {
  constructor(readonly items: PyValue[], readonly frozen: boolean) {}
}

/** A reference to a module-level name: inert, only its name is kept. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

let objectIds = 0;

/**
 * What a real unpickler would have constructed by calling `callee`: only
 * the call's arguments, the state BUILD gave it and the items appended or
 * set on it are recorded.
 */
export class PyObject {
  readonly id = ++objectIds;
  state: PyValue | undefined = undefined;
  readonly listItems: PyValue[] = [];
  readonly dictItems: PyDict = new PyDict();
  constructor(readonly callee: PyValue, readonly how: 'reduce' | 'newobj' | 'inst' | 'reconstructor', readonly args: PyValue[]) {}
  /** The dotted name of the class or function, when it was a global. */
  get className(): string {
    return this.callee instanceof PyGlobal ? this.callee.qualified : this.callee instanceof PyObject ? `(result of ${this.callee.className})` : '(unnamed)';
  }
}

/** A Python dict: insertion-ordered, keys compared as Python would for the hashable plain values. */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }
  set(key: PyValue, value: PyValue): void {
    const h = hashKey(key, 0);
    const at = this.index.get(h);
    if (at !== undefined) {
      this.values[at] = value;
      return;
    }
    this.index.set(h, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
  }
  get(key: string | number): PyValue | undefined {
    const at = this.index.get(hashKey(key, 0));
    return at === undefined ? undefined : this.values[at];
  }
  has(key: string | number): boolean {
    return this.index.has(hashKey(key, 0));
  }
  entries(): [PyValue, PyValue][] {
    return this.keys.map((k, i) => [k, this.values[i]]);
  }
}

/** Most values one dict key may hold (tuples of tuples sharing members could otherwise blow up). */
const MAX_KEY_VALUES = 10_000;

function hashKey(k: PyValue, depth: number, budget = { n: 0 }): string {
  if (depth > 32) throw new CkptError('bad-pickle', 'pickle: a dict key nests tuples too deeply');
  if (++budget.n > MAX_KEY_VALUES) throw new CkptError('too-large', `pickle: a dict key of more than ${MAX_KEY_VALUES} values`);
  if (k === null) return 'N';
  if (typeof k === 'string') return `s${k}`;
  if (typeof k === 'boolean') return k ? 'n1' : 'n0';
  if (typeof k === 'number') return Number.isNaN(k) ? 'nNaN' : `n${Object.is(k, -0) ? 0 : k}`;
  if (typeof k === 'bigint') return `n${k}`;
  if (k instanceof Uint8Array) return `b${latin1(k)}`;
  if (k instanceof PyTuple) return `t(${k.items.map((x) => hashKey(x, depth + 1, budget)).join(',')})`;
  if (k instanceof PyGlobal) return `g${k.qualified}`;
  if (k instanceof PyObject) return `o${k.id}`;
  if (k instanceof PySet && k.frozen) return `f${k.items.map((x) => hashKey(x, depth + 1, budget)).sort().join(',')}`;
  throw new CkptError('bad-pickle', `pickle: an unhashable ${describe(k)} is used as a dict key`);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** A short description of a value, for messages. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `a dict of ${v.size}`;
  if (v instanceof PySet) return `a set of ${v.items.length}`;
  if (v instanceof PyGlobal) return `the global ${v.qualified}`;
  if (v instanceof PyObject) return `a ${v.className} object`;
  return `a ${v.pyType}`;
}

// ---------------------------------------------------------------- safety

/** Modules whose every name would run code or reach the system if called. */
const UNSAFE_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'shutil', 'socket', 'importlib', 'runpy', 'pickle', '_pickle',
  'cPickle', 'dill', 'marshal', 'ctypes', 'code', 'codeop', 'pty', 'commands', 'webbrowser', 'multiprocessing', 'signal',
  'tempfile', 'urllib', 'urllib2', 'http', 'httplib', 'ftplib', 'smtplib', 'telnetlib', 'requests', 'asyncio', 'threading',
  '_thread', 'thread', 'gc', 'inspect', 'types', 'operator', 'pdb', 'bdb', 'timeit', 'trace', 'profile', 'cProfile',
  'platform', 'glob', 'zipimport', 'pkgutil', 'imp', 'io', '_io', 'fileinput', 'torch.hub', 'torch.jit',
  'torch._C', 'torch.load', 'numpy.testing', 'numpy.f2py', 'numpy.distutils', 'numpy.lib.npyio',
  'setuptools', 'distutils', 'pip', 'site', 'sysconfig', 'ensurepip', 'venv', 'sqlite3', 'xmlrpc', 'socketserver', 'mmap',
];
/** Built-in functions that evaluate code, reach attributes or open files. */
const UNSAFE_BUILTINS = new Set([
  'eval', 'exec', 'execfile', 'compile', 'open', 'file', '__import__', 'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars',
  'input', 'raw_input', 'breakpoint', 'apply', 'reload', 'exit', 'quit', '__build_class__',
]);

/** The normalised module name (Python 2 spellings as Python 3 reads them). */
function normModule(m: string): string {
  return m === '__builtin__' ? 'builtins' : m === 'copy_reg' ? 'copyreg' : m;
}

/** Whether calling this global would run code no checkpoint needs. */
export function isUnsafeGlobal(module: string, name: string): boolean {
  const m = normModule(module);
  if (m === 'builtins') return UNSAFE_BUILTINS.has(name) || name.startsWith('__');
  const full = `${m}.${name}`;
  return UNSAFE_MODULES.some((u) => m === u || m.startsWith(`${u}.`) || full === u) || name.startsWith('__') && name !== '__newobj__';
}

// ---------------------------------------------------------------- unpickler

export interface UnpickleHooks {
  /** Resolve a persistent id (torch: a storage record). */
  persistentLoad?(pid: PyValue): PyValue;
  /** A call of a global the caller knows (torch._utils._rebuild_tensor_v2, …): a value, or undefined for an inert object. */
  call?(fn: PyGlobal, args: PyValue[]): PyValue | undefined;
}

export interface Unpickled {
  value: PyValue;
  /** Every global the pickle names, dotted. */
  globals: Set<string>;
  /** The protocol the pickle declares (0 or 1 when it has no PROTO opcode). */
  protocol: number;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Unpickle `data` (one pickle, up to its STOP). Throws CkptError for any
 * damage, any limit exceeded, and (with `refuseUnsafe`, the default) any
 * global in isUnsafeGlobal.
 */
export function unpickle(data: Uint8Array, limits: CkptLimits, hooks: UnpickleHooks = {}, opts: { refuseUnsafe?: boolean } = {}): Unpickled {
  if (data.length > limits.maxPickleBytes) {
    throw new CkptError('too-large', `pickle: ${fmtBytes(data.length)} of pickle, more than the ${fmtBytes(limits.maxPickleBytes)} allowed`);
  }
  const refuseUnsafe = opts.refuseUnsafe ?? true;
  const n = data.length;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let stack: Slot[] = [];
  const marks: Slot[][] = [];
  const memo = new Map<number, PyValue>();
  const globals = new Set<string>();
  let protocol = 0;
  let pushed = 0;
  const at = () => pos - 1;

  const fail = (msg: string): never => { throw new CkptError('bad-pickle', `pickle: ${msg} (at byte ${at()})`); };
  const need = (k: number, what: string) => { if (pos + k > n) fail(`truncated ${what}`); };
  const push = (v: PyValue) => {
    if (++pushed > limits.maxPickleValues) throw new CkptError('too-large', `pickle: more than ${limits.maxPickleValues} values`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack.pop()!;
    if (v === MARK) fail('a mark where a value was expected');
    return v as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack[stack.length - 1];
    if (v === MARK) fail('a mark where a value was expected');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    if (marks.length === 0) fail('no mark on the stack');
    stack = marks.pop()!;
    if (items.includes(MARK)) fail('a mark inside marked items');
    return items as PyValue[];
  };
  const u8 = () => data[pos++];
  const u16le = () => { const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32le = () => { const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32le = () => { const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64le = (what: string) => {
    const lo = view.getUint32(pos, true), hi = view.getUint32(pos + 4, true);
    pos += 8;
    if (hi >= 2 ** 21) fail(`${what} length ${hi}·2³² + ${lo} is impossible`);
    return hi * 2 ** 32 + lo;
  };
  const bytes = (len: number, what: string): Uint8Array => {
    if (len > limits.maxStringBytes) throw new CkptError('too-large', `pickle: a ${what} of ${fmtBytes(len)}, more than the ${fmtBytes(limits.maxStringBytes)} allowed`);
    need(len, what);
    const b = data.subarray(pos, pos + len);
    pos += len;
    return b;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return textDecoder.decode(b);
    } catch {
      return fail('a string that is not valid UTF-8');
    }
  };
  const line = (what: string): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated ${what} (no end of line)`);
    if (end - pos > limits.maxStringBytes) throw new CkptError('too-large', `pickle: a ${what} longer than ${fmtBytes(limits.maxStringBytes)}`);
    const s = latin1(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const memoIndex = (i: number): PyValue => {
    const v = memo.get(i);
    if (v === undefined) fail(`memo entry ${i} is read before it is written`);
    return v as PyValue;
  };
  const memoPut = (i: number) => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) throw new CkptError('too-large', `pickle: more than ${limits.maxMemo} memo entries`);
    memo.set(i, top());
  };
  const textInt = (s: string, what: string): number | bigint => {
    const t = s.trim().replace(/L$/, '');
    if (!/^[+-]?\d{1,4300}$/.test(t)) fail(`a ${what} that is not an integer: ${JSON.stringify(s.slice(0, 40))}`);
    return toNumber(BigInt(t));
  };
  const checkLen = (len: number) => {
    if (len > limits.maxContainerItems) throw new CkptError('too-large', `pickle: a container of more than ${limits.maxContainerItems} items`);
  };
  const asTupleArgs = (v: PyValue, what: string): PyValue[] => {
    if (v instanceof PyTuple) return v.items;
    return fail(`${what} arguments are ${describe(v)}, not a tuple`);
  };

  const global = (module: string, name: string): PyGlobal => {
    if (module.length > 500 || name.length > 500) fail('a global name that is too long');
    if (!/^[A-Za-z_][\w.]*$/.test(module) || !/^[A-Za-z_][\w.]*$/.test(name)) fail(`a global with an odd name ${JSON.stringify(`${module} ${name}`.slice(0, 80))}`);
    const g = new PyGlobal(normModule(module), name);
    globals.add(g.qualified);
    if (refuseUnsafe && isUnsafeGlobal(module, name)) {
      throw new CkptError('unsafe-pickle', `This file's pickle refers to ${g.qualified}, which would run code if it were unpickled by Python; no checkpoint needs it, so the file is refused (nothing was executed)`);
    }
    return g;
  };

  /** Containers rebuilt by calling a standard type; undefined: an inert object. */
  const known = (fn: PyGlobal, args: PyValue[]): PyValue | undefined => {
    const q = fn.qualified;
    const pairs = (it: PyValue | undefined, d: PyDict) => {
      if (it === undefined) return d;
      const list = Array.isArray(it) ? it : it instanceof PyTuple ? it.items : it instanceof PyDict ? null : undefined;
      if (it instanceof PyDict) { for (const [k, v] of it.entries()) d.set(k, v); return d; }
      if (!list) return fail(`${q} given ${describe(it)}`);
      for (const p of list) {
        const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : null;
        if (!kv || kv.length !== 2) fail(`${q} given an item that is not a pair`);
        d.set(kv![0], kv![1]);
      }
      return d;
    };
    switch (q) {
      case 'collections.OrderedDict':
      case 'builtins.dict':
        return pairs(args[0], new PyDict());
      case 'collections.defaultdict':
        return pairs(args[1], new PyDict());
      case 'builtins.set':
      case 'builtins.frozenset': {
        const it = args[0];
        const items = it === undefined ? [] : Array.isArray(it) ? it.slice() : it instanceof PyTuple ? it.items.slice() : null;
        if (!items) return fail(`${q} given ${describe(it)}`);
        return new PySet(items, q === 'builtins.frozenset');
      }
      case 'builtins.list':
      case 'builtins.tuple': {
        const it = args[0];
        const items = it === undefined ? [] : Array.isArray(it) ? it.slice() : it instanceof PyTuple ? it.items.slice() : null;
        if (!items) return fail(`${q} given ${describe(it)}`);
        return q === 'builtins.list' ? items : new PyTuple(items);
      }
      case '_codecs.encode':
      case 'builtins.bytearray':
      case 'builtins.bytes': {
        const [s, enc] = args;
        if (s === undefined) return new Uint8Array(0);
        if (s instanceof Uint8Array) return s.slice();
        if (typeof s !== 'string') return undefined;
        const e = typeof enc === 'string' ? enc.toLowerCase().replace('_', '-') : 'latin-1';
        if (e === 'latin-1' || e === 'latin1' || e === 'iso-8859-1') {
          const out = new Uint8Array(s.length);
          for (let i = 0; i < s.length; i++) {
            const c = s.charCodeAt(i);
            if (c > 255) return fail(`${q}: a latin-1 string with the character U+${c.toString(16)}`);
            out[i] = c;
          }
          return out;
        }
        if (e === 'utf-8' || e === 'utf8') return new TextEncoder().encode(s);
        return undefined;
      }
      case 'copyreg._reconstructor': {
        return new PyObject(args[0] ?? null, 'reconstructor', args.slice(1));
      }
      default:
        return hooks.call?.(fn, args);
    }
  };

  const call = (callee: PyValue, args: PyValue[], how: 'reduce' | 'newobj'): PyValue => {
    if (callee instanceof PyGlobal) {
      const v = known(callee, args);
      if (v !== undefined) return v;
      return new PyObject(callee, how, args);
    }
    if (callee instanceof PyObject) return new PyObject(callee, how, args);
    return fail(`a call of ${describe(callee)}, which is not callable`);
  };

  const setItems = (target: PyValue, items: PyValue[]) => {
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    const d = target instanceof PyDict ? target : target instanceof PyObject ? target.dictItems : fail(`items set on ${describe(target)}`);
    checkLen(d.size + items.length / 2);
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]) => {
    const list = Array.isArray(target) ? target : target instanceof PyObject ? target.listItems : fail(`items appended to ${describe(target)}`);
    checkLen(list.length + items.length);
    for (const x of items) list.push(x);
  };

  while (true) {
    if (pos >= n) fail('the pickle ends without STOP (truncated)');
    const op = data[pos++];
    switch (op) {
      case 0x80: need(1, 'PROTO'); protocol = u8(); if (protocol > 5) fail(`unknown protocol ${protocol}`); break;
      case 0x95: need(8, 'FRAME'); u64le('frame'); break; // frames only group opcodes
      case 0x2e: { // STOP
        const value = pop();
        return { value, globals, protocol };
      }
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 0x49: { // INT
        const s = line('INT');
        push(s === '01' ? true : s === '00' ? false : textInt(s, 'INT'));
        break;
      }
      case 0x4a: need(4, 'BININT'); push(i32le()); break;
      case 0x4b: need(1, 'BININT1'); push(u8()); break;
      case 0x4d: need(2, 'BININT2'); push(u16le()); break;
      case 0x4c: push(textInt(line('LONG'), 'LONG')); break;
      case 0x8a: { need(1, 'LONG1'); const len = u8(); push(longBytes(bytes(len, 'LONG1'))); break; }
      case 0x8b: {
        need(4, 'LONG4');
        const len = i32le();
        if (len < 0) fail('a negative LONG4 length');
        if (len > 4096) throw new CkptError('too-large', `pickle: an integer of ${len} bytes`);
        push(longBytes(bytes(len, 'LONG4')));
        break;
      }
      case 0x46: { // FLOAT
        const s = line('FLOAT').trim();
        const v = /^[+-]?inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) fail(`a FLOAT that is not a number: ${JSON.stringify(s.slice(0, 40))}`);
        push(v);
        break;
      }
      case 0x47: need(8, 'BINFLOAT'); push(view.getFloat64(pos, false)); pos += 8; break;
      case 0x53: push(pyStringLiteral(line('STRING'), fail)); break;
      case 0x54: { need(4, 'BINSTRING'); const len = i32le(); if (len < 0) fail('a negative string length'); push(latin1(bytes(len, 'BINSTRING'))); break; }
      case 0x55: { need(1, 'SHORT_BINSTRING'); push(latin1(bytes(u8(), 'SHORT_BINSTRING'))); break; }
      case 0x56: push(rawUnicodeEscape(line('UNICODE'), fail)); break;
      case 0x58: { need(4, 'BINUNICODE'); push(utf8(bytes(u32le(), 'BINUNICODE'))); break; }
      case 0x8c: { need(1, 'SHORT_BINUNICODE'); push(utf8(bytes(u8(), 'SHORT_BINUNICODE'))); break; }
      case 0x8d: { need(8, 'BINUNICODE8'); push(utf8(bytes(u64le('BINUNICODE8'), 'BINUNICODE8'))); break; }
      case 0x42: { need(4, 'BINBYTES'); push(bytes(u32le(), 'BINBYTES').slice()); break; }
      case 0x43: { need(1, 'SHORT_BINBYTES'); push(bytes(u8(), 'SHORT_BINBYTES').slice()); break; }
      case 0x8e: { need(8, 'BINBYTES8'); push(bytes(u64le('BINBYTES8'), 'BINBYTES8').slice()); break; }
      case 0x96: { need(8, 'BYTEARRAY8'); push(bytes(u64le('BYTEARRAY8'), 'BYTEARRAY8').slice()); break; }
      case 0x97: case 0x98: fail('out-of-band buffers (protocol 5) are not supported'); break;
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x6c: { const items = popMark(); checkLen(items.length); push(items); break; } // LIST
      case 0x29: push(new PyTuple([])); break;
      case 0x74: { const items = popMark(); checkLen(items.length); push(new PyTuple(items)); break; }
      case 0x85: { const a = pop(); push(new PyTuple([a])); break; }
      case 0x86: { const b = pop(), a = pop(); push(new PyTuple([a, b])); break; }
      case 0x87: { const c = pop(), b = pop(), a = pop(); push(new PyTuple([a, b, c])); break; }
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const d = new PyDict(); setItems(d, items); push(d); break; } // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: push(new PySet([], false)); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) fail(`items added to ${describe(s)}`);
        checkLen((s as PySet).items.length + items.length);
        (s as PySet).items.push(...items);
        break;
      }
      case 0x91: { const items = popMark(); checkLen(items.length); push(new PySet(items, true)); break; } // FROZENSET
      case 0x67: { const s = line('GET'); if (!/^\d{1,10}$/.test(s)) fail('a bad GET index'); push(memoIndex(Number(s))); break; }
      case 0x68: need(1, 'BINGET'); push(memoIndex(u8())); break;
      case 0x6a: need(4, 'LONG_BINGET'); push(memoIndex(u32le())); break;
      case 0x70: { const s = line('PUT'); if (!/^\d{1,10}$/.test(s)) fail('a bad PUT index'); memoPut(Number(s)); break; }
      case 0x71: need(1, 'BINPUT'); memoPut(u8()); break;
      case 0x72: need(4, 'LONG_BINPUT'); memoPut(u32le()); break;
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x63: { const m = line('GLOBAL module'); const nm = line('GLOBAL name'); push(global(m, nm)); break; }
      case 0x93: { // STACK_GLOBAL
        const nm = pop(), m = pop();
        if (typeof m !== 'string' || typeof nm !== 'string') fail('STACK_GLOBAL with names that are not strings');
        push(global(m as string, nm as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); push(call(fn, asTupleArgs(args, 'REDUCE'), 'reduce')); break; }
      case 0x81: { const args = pop(), cls = pop(); push(call(cls, asTupleArgs(args, 'NEWOBJ'), 'newobj')); break; }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop(), cls = pop();
        if (!(kwargs instanceof PyDict)) fail('NEWOBJ_EX keyword arguments are not a dict');
        push(call(cls, asTupleArgs(args, 'NEWOBJ_EX'), 'newobj'));
        break;
      }
      case 0x69: { // INST
        const m = line('INST module'); const nm = line('INST name');
        const args = popMark();
        push(new PyObject(global(m, nm), 'inst', args));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        const [cls, ...args] = items;
        if (!(cls instanceof PyGlobal) && !(cls instanceof PyObject)) fail(`OBJ of ${describe(cls)}`);
        push(new PyObject(cls, 'inst', args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj === null || typeof obj !== 'object' || obj instanceof PyGlobal) fail(`BUILD on ${describe(obj)}`);
        // State given to a dict, list, set or tensor is attributes a real unpickler would set: ignored.
        break;
      }
      case 0x50: { // PERSID
        const pid = line('PERSID');
        if (!hooks.persistentLoad) fail('a persistent id, and no storage to resolve it');
        push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail('a persistent id, and no storage to resolve it');
        push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84: fail('extension-registry codes (EXT1/2/4) are not supported'); break;
      default: fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** A bigint as a number when it is exactly representable. */
function toNumber(b: bigint): number | bigint {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** LONG1/LONG4 payload: little-endian two's complement. */
function longBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return toNumber(v);
}

/** The text form of STRING: a Python repr of a byte string, quotes included. */
function pyStringLiteral(s: string, fail: (m: string) => never): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) fail('a STRING that is not quoted');
  const body = s.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/** The text form of UNICODE: raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes). */
function rawUnicodeEscape(s: string, fail: (m: string) => never): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) => {
    const cp = parseInt((a ?? b)!, 16);
    if (cp > 0x10ffff) fail('a UNICODE escape beyond U+10FFFF');
    return String.fromCodePoint(cp);
  });
}
