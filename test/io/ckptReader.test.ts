/**
 * Unit tests of the pieces of the `.ckpt` reader: the restricted unpickler
 * (opcodes of protocols 0–4, Python's dict semantics, inert placeholders,
 * damage) and the bounded zip reader (CRC, overlaps, unsupported features).
 */
import { describe, expect, it } from 'vitest';
import { CkptError, DEFAULT_CKPT_LIMITS, type CkptErrorCode } from '../../src/io/ckpt/errors.ts';
import { isUnsafeGlobal, PyDict, PyObject, PySet, PyTuple, unpickle, type PyValue } from '../../src/io/ckpt/pickle.ts';
import { bytesSource, crc32, ZipArchive } from '../../src/io/ckpt/zip.ts';
import { configTree } from '../../src/io/ckpt/lightning.ts';
import { zip } from './ckptWriter.ts';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const load = (s: string | Uint8Array, opts?: { refuseUnsafe?: boolean }) => unpickle(typeof s === 'string' ? bytes(s) : s, DEFAULT_CKPT_LIMITS, {}, opts).value;

function err(f: () => unknown, code: CkptErrorCode, match?: RegExp): CkptError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(CkptError);
    expect((e as CkptError).code, (e as Error).message).toBe(code);
    if (match) expect((e as Error).message).toMatch(match);
    return e as CkptError;
  }
  throw new Error(`expected a CkptError ${code}`);
}

const dictOf = (v: PyValue) => {
  expect(v).toBeInstanceOf(PyDict);
  return v as PyDict;
};

describe('the restricted unpickler', () => {
  it('protocol 0 (text opcodes): dicts, strings with escapes, ints, longs, floats, booleans, unicode', () => {
    const d = dictOf(load("(dp0\nS'a'\np1\nI1\nsS'b\\'q\\n'\np2\nF1.5\nsS'c'\np3\nL12345678901234567890L\nsS'd'\np4\nI01\nsVcaf\\u00e9\np5\nI01\ns."));
    expect(d.get('a')).toBe(1);
    expect(d.get("b'q\n")).toBe(1.5);
    expect(d.get('c')).toBe(12345678901234567890n);
    expect(d.get('d')).toBe(true);
    expect(d.get('café')).toBe(true);
    expect(load('F-inf\n.')).toBe(-Infinity);
    expect(load('F1e+100\n.')).toBe(1e100);
  });

  it('protocol 2: LONG1, BINFLOAT, tuples, lists, sets and bytes rebuilt by calls, OrderedDict, memo', () => {
    const p = '\x80\x02}q\x00(X\x01\x00\x00\x00nq\x01\x8a\x02\x00\xffX\x01\x00\x00\x00fG?\xf8\x00\x00\x00\x00\x00\x00'
      + 'X\x01\x00\x00\x00tK\x01K\x02K\x03\x87X\x01\x00\x00\x00l](K\x01h\x01eX\x01\x00\x00\x00s'
      + 'c__builtin__\nset\n]q\x02(K\x01K\x02e\x85RX\x01\x00\x00\x00bc_codecs\nencode\nX\x04\x00\x00\x00\xc3\xbf\xc2\x80X\x06\x00\x00\x00latin1\x86R'
      + 'X\x01\x00\x00\x00occollections\nOrderedDict\n)R(X\x01\x00\x00\x00kK\x07uu.';
    const d = dictOf(load(p));
    expect(d.get('n')).toBe(-256);
    expect(d.get('f')).toBe(1.5);
    expect((d.get('t') as PyTuple).items).toEqual([1, 2, 3]);
    expect(d.get('l')).toEqual([1, 'n']);
    expect((d.get('s') as PySet).items).toEqual([1, 2]);
    expect(Array.from(d.get('b') as Uint8Array)).toEqual([0xff, 0x80]);
    expect(dictOf(d.get('o')!).get('k')).toBe(7);
  });

  it('protocol 4: FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE, EMPTY_SET/ADDITEMS, FROZENSET, NEWOBJ_EX', () => {
    const p = '\x80\x04\x95\x40\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94\x8f\x94(K\x01K\x02\x90\x8c\x01b\x94(K\x03\x91'
      + '\x8c\x01c\x8c\x03pkg\x8c\x03Cls\x93)}\x92u.';
    const d = dictOf(load(p));
    expect((d.get('a') as PySet).items).toEqual([1, 2]);
    expect((d.get('b') as PySet).frozen).toBe(true);
    const o = d.get('c') as PyObject;
    expect(o).toBeInstanceOf(PyObject);
    expect(o.className).toBe('pkg.Cls');
  });

  it("dict keys compare as Python's: 1, 1.0 and True are one key; tuples hash by value; unhashable keys are refused", () => {
    const d = dictOf(load('\x80\x02}(K\x01X\x01\x00\x00\x00aG?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00b\x88X\x01\x00\x00\x00cK\x01K\x02\x86K\x05K\x01K\x02\x86K\x06u.'));
    expect(d.size).toBe(2);
    expect(d.get(1)).toBe('c');
    expect(d.values[1]).toBe(6);
    err(() => load('\x80\x02}](K\x01es.'.replace('](K\x01e', ']K\x01')), 'bad-pickle');
    err(() => load('\x80\x02}]K\x01s.'), 'bad-pickle', /unhashable a list/);
  });

  it('every other global is an inert placeholder: calls, NEWOBJ, BUILD, INST and OBJ only record what they were given', () => {
    const p = '\x80\x02cmypkg.sub\nFactory\nq\x00X\x03\x00\x00\x00argq\x01\x85Rq\x02)R}X\x01\x00\x00\x00kK\x01sb.';
    const o = load(p) as PyObject;
    expect(o).toBeInstanceOf(PyObject);
    expect(o.className).toBe('(result of mypkg.sub.Factory)');
    expect((o.callee as PyObject).args).toEqual(['arg']);
    expect(dictOf(o.state!).get('k')).toBe(1);
    const inst = load("(S'x'\nimypkg\nThing\n.") as PyObject;
    expect(inst.className).toBe('mypkg.Thing');
    expect(inst.args).toEqual(['x']);
    const obj = load('\x80\x02(cmypkg\nThing\nK\x01o.') as PyObject;
    expect(obj.args).toEqual([1]);
    // A list subclass and a dict subclass keep their items.
    const ls = load('\x80\x02cmypkg\nL\n)\x81(K\x01K\x02eK\x03aX\x01\x00\x00\x00kK\x04s.') as PyObject;
    expect(ls.listItems).toEqual([1, 2, 3]);
    expect(ls.dictItems.get('k')).toBe(4);
  });

  it('globals that would run code make the file refused; read alone they are only names', () => {
    for (const [m, n] of [['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['subprocess', 'check_output'], ['builtins', 'eval'], ['__builtin__', 'exec'],
      ['builtins', 'getattr'], ['builtins', '__import__'], ['shutil', 'rmtree'], ['torch', 'load'], ['operator', 'attrgetter'], ['importlib', 'import_module']]) {
      expect(isUnsafeGlobal(m, n), `${m}.${n}`).toBe(true);
      err(() => load(`\x80\x02c${m}\n${n}\nX\x02\x00\x00\x00ls\x85R.`), 'unsafe-pickle', /nothing was executed/);
    }
    for (const [m, n] of [['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch', 'FloatStorage'], ['omegaconf.dictconfig', 'DictConfig'],
      ['transformers.models.gpt2.tokenization_gpt2_fast', 'GPT2TokenizerFast'], ['builtins', 'set'], ['copyreg', '__newobj__'], ['functools', 'partial']]) {
      expect(isUnsafeGlobal(m, n), `${m}.${n}`).toBe(false);
    }
    const o = load('\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.', { refuseUnsafe: false }) as PyObject;
    expect(o.className).toBe('os.system');
  });

  it('damage: every failure is a typed error with a reason', () => {
    err(() => load('\x80\x02'), 'bad-pickle', /ends without STOP/);
    err(() => load('\x80\x020.'), 'bad-pickle', /stack underflow/);
    err(() => load('\x80\x02\xff.'), 'bad-pickle', /unknown opcode 0xff/);
    err(() => load('\x80\x02h\x05.'), 'bad-pickle', /memo entry 5/);
    err(() => load('\x80\x02X\xff\xff\xff\x7fabc.'), 'too-large');
    err(() => load('\x80\x02X\x10\x00\x00\x00abc.'), 'bad-pickle', /truncated/);
    err(() => load('\x80\x02X\x01\x00\x00\x00\xff.'), 'bad-pickle', /UTF-8/);
    err(() => load('\x80\x02X\x01\x00\x00\x00aK\x01a.'), 'bad-pickle', /appended to the string/);
    err(() => load('\x80\x02X\x01\x00\x00\x00a)R.'), 'bad-pickle', /not callable/);
    err(() => load('\x80\x02K\x01}b.'), 'bad-pickle', /BUILD on the number 1/);
    err(() => load('\x80\x02K\x01Q.'), 'bad-pickle', /persistent id/);
    err(() => load('\x80\x02\x82\x01.'), 'bad-pickle', /EXT/);
    err(() => load('\x80\x05\x97.'), 'bad-pickle', /out-of-band/);
    err(() => load('\x80\x09N.'), 'bad-pickle', /protocol 9/);
    err(() => load('\x80\x02(K\x01u.'), 'bad-pickle', /stack underflow|mark/);
    err(() => load('\x80\x02e.'), 'bad-pickle', /no mark/);
    err(() => load('\x80\x02cos.path\nx;y\n.'), 'bad-pickle', /odd name/);
  });

  it('deep nesting: the unpickler does not recurse; the config walk stops at its depth limit', () => {
    const deep = load('\x80\x02' + ']'.repeat(1) + '('.repeat(100_000) + 'l'.repeat(100_000) + 'a.');
    expect(Array.isArray(deep)).toBe(true);
    err(() => configTree(deep, DEFAULT_CKPT_LIMITS), 'bad-config', /nests deeper than 100 levels/);
  });

  it('limits: memo entries, values, container items, string lengths', () => {
    const many = '\x80\x02]' + '(' + 'K\x01'.repeat(100) + 'e.';
    err(() => unpickle(bytes(many), { ...DEFAULT_CKPT_LIMITS, maxContainerItems: 50 }), 'too-large', /container/);
    err(() => unpickle(bytes(many), { ...DEFAULT_CKPT_LIMITS, maxPickleValues: 50 }), 'too-large', /values/);
    const memo = '\x80\x02' + Array.from({ length: 20 }, (_, i) => `K\x01q${String.fromCharCode(i)}0`).join('') + 'N.';
    err(() => unpickle(bytes(memo), { ...DEFAULT_CKPT_LIMITS, maxMemo: 10 }), 'too-large', /memo/);
    err(() => unpickle(bytes('\x80\x02X\x10\x00\x00\x00' + 'a'.repeat(16) + '.'), { ...DEFAULT_CKPT_LIMITS, maxStringBytes: 8 }), 'too-large');
    err(() => unpickle(bytes('\x80\x02N.'), { ...DEFAULT_CKPT_LIMITS, maxPickleBytes: 2 }), 'too-large');
    // A dict key of tuples sharing members (a few bytes, billions of values unshared) is bounded.
    let key = 'K\x01q\x000';
    for (let i = 0; i < 25; i++) key += `h${String.fromCharCode(i)}h${String.fromCharCode(i)}\x86q${String.fromCharCode(i + 1)}0`;
    err(() => load(`\x80\x02${key}}h\x19K\x02s.`), 'too-large', /dict key/);
  });
});

describe('the bounded zip reader', () => {
  const entries: [string, Uint8Array][] = [['a/one', new Uint8Array([1, 2, 3])], ['a/two', new Uint8Array(100).fill(7)]];
  const open = (b: Uint8Array) => ZipArchive.open(bytesSource(b), DEFAULT_CKPT_LIMITS);
  const readAll = (b: Uint8Array) => { const z = open(b); return [...z.entries.values()].map((e) => Array.from(z.read(e))); };
  const dvOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cdOf = (b: Uint8Array) => dvOf(b).getUint32(b.length - 6, true);

  it('reads stored and deflated entries, zip64 records and a trailing comment', () => {
    for (const opts of [{}, { deflate: true }, { zip64: true }, { align: 1 }]) {
      expect(readAll(zip(entries, opts)), JSON.stringify(opts)).toEqual(entries.map(([, d]) => Array.from(d)));
    }
    const b = zip(entries);
    const commented = new Uint8Array(b.length + 5);
    commented.set(b);
    dvOf(commented).setUint16(b.length - 2, 5, true);
    expect(readAll(commented).length).toBe(2);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('refuses damage: a bad CRC, overlapping or duplicated entries, offsets outside the file, encryption, other compressions', () => {
    const bad = zip(entries);
    bad[bad.indexOf(7, 100)] = 8; // a byte of a/two's data
    err(() => readAll(bad), 'bad-zip', /CRC-32/);
    const overlap = zip(entries);
    const cd = cdOf(overlap);
    const second = cd + 46 + 5; // the second central record (names are 5 bytes, no extra)
    dvOf(overlap).setUint32(second + 42, 0, true);
    err(() => open(overlap), 'bad-zip', /same offset/);
    const dup = zip([['a/x', new Uint8Array(1)], ['a/x', new Uint8Array(2)]]);
    err(() => open(dup), 'bad-zip', /twice/);
    const far = zip(entries);
    dvOf(far).setUint32(far.length - 6, far.length, true);
    err(() => open(far), 'bad-zip', /overlaps|outside/);
    const enc = zip(entries);
    dvOf(enc).setUint16(cdOf(enc) + 8, 1, true);
    err(() => open(enc), 'unsupported-zip', /encrypted/);
    const bz = zip(entries);
    dvOf(bz).setUint16(cdOf(bz) + 10, 12, true);
    dvOf(bz).setUint16(8, 12, true);
    err(() => readAll(bz), 'unsupported-zip', /method 12/);
    const bomb = zip(entries, { deflate: true });
    dvOf(bomb).setUint32(cdOf(bomb) + 24, 0x7fffffff, true);
    err(() => readAll(bomb), 'bad-zip', /more than deflate can produce/);
    const big = zip(entries);
    dvOf(big).setUint32(cdOf(big) + 20, 0xfffffff0, true);
    err(() => open(big), 'bad-zip', /declares \d+ bytes but holds|more than the room/);
    err(() => open(zip(entries).subarray(0, 30)), 'bad-zip', /end-of-central-directory/);
    err(() => open(new Uint8Array(0)), 'not-zip');
  });
});
