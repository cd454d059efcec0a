/**
 * A bounded reader for the zip container of `torch.save` files (PyTorch ≥ 1.6):
 * the central directory (zip64 included) is read from the end of the file and
 * checked against it before anything else is read; an entry is read only
 * when asked for, from its local header, stored (what torch.save writes) or
 * deflated (a file zipped again by another tool; inflated by fflate into a
 * buffer of exactly the declared size), and its CRC-32 is checked.
 *
 * The bytes come from a ByteSource, so a caller can read a large file piece
 * by piece (the CLI reads through a file descriptor) or hand over the whole
 * file (pages and workers). No Node APIs: runs in browsers too.
 */
import { inflateSync } from 'fflate';
import { CkptError, fmtBytes, type CkptLimits } from './errors.ts';

/** Random access to the bytes of a file. */
export interface ByteSource {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * `length` bytes from `offset`; the reader only asks for ranges inside
   * [0, size). The result may be a view of a buffer the source owns.
   */
  read(offset: number, length: number): Uint8Array;
}

/** A ByteSource over bytes already in memory (views, no copies). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** Uncompressed size. */
  size: number;
  /** Offset of the local header. */
  headerOffset: number;
  /** The next local header or the central directory: where this entry's data must end. */
  limit: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
/** The largest ratio deflate can reach (a run of one byte): no honest entry inflates beyond it. */
const MAX_DEFLATE_RATIO = 1032;

// ---------------------------------------------------------------- CRC-32

const CRC_TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1], t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    tables.push(t);
  }
  return tables;
})();

/** CRC-32 (IEEE, as zip uses it), slicing by 8. */
export function crc32(data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let c = 0xffffffff, i = 0;
  const n8 = data.length - (data.length % 8);
  for (; i < n8; i += 8) {
    const a = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) ^ c;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24]
      ^ t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- reading

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
function u64(b: Uint8Array, o: number, what: string): number {
  const lo = u32(b, o), hi = u32(b, o + 4);
  if (hi >= 2 ** 21) throw new CkptError('bad-zip', `zip: ${what} (${hi}·2³² + ${lo}) is beyond any file size`);
  return hi * 2 ** 32 + lo;
}

/**
 * An opened archive: the central directory, checked against the file. Read
 * entries with `read`; every read counts against `limits.maxReadBytes`.
 */
export class ZipArchive {
  readonly entries: Map<string, ZipEntry>;
  private bytesRead = 0;

  private constructor(private readonly source: ByteSource, private readonly limits: CkptLimits, entries: Map<string, ZipEntry>) {
    this.entries = entries;
  }

  /** Bytes of entries read (or inflated) so far. */
  get readBytes(): number {
    return this.bytesRead;
  }

  private static fetch(source: ByteSource, offset: number, length: number, what: string): Uint8Array {
    if (!(offset >= 0 && length >= 0 && offset + length <= source.size)) {
      throw new CkptError('bad-zip', `zip: ${what} at ${offset}..${offset + length} lies outside the ${source.size}-byte file (truncated?)`);
    }
    let b: Uint8Array;
    try {
      b = source.read(offset, length);
    } catch (e) {
      throw new CkptError('bad-zip', `zip: cannot read ${what} (${(e as Error)?.message ?? String(e)})`, { cause: e });
    }
    if (!(b instanceof Uint8Array) || b.length !== length) throw new CkptError('bad-zip', `zip: short read of ${what} (the file changed while it was read?)`);
    return b;
  }

  static open(source: ByteSource, limits: CkptLimits): ZipArchive {
    const size = source.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new CkptError('bad-zip', `zip: the file size ${String(size)} is not a size`);
    if (size > limits.maxFileBytes) {
      throw new CkptError('too-large', `The file is ${fmtBytes(size)}, more than the ${fmtBytes(limits.maxFileBytes)} a .ckpt may have here`);
    }
    const head = ZipArchive.fetch(source, 0, Math.min(4, size), 'the file header');
    if (head.length < 4 || u32(head, 0) !== SIG_LOCAL) {
      const legacy = head[0] === 0x80 && head.length > 1 && head[1] <= 5;
      throw new CkptError('not-zip', legacy
        ? 'This is a legacy torch.save file (a bare pickle, before PyTorch 1.6), not a zip checkpoint: load it in PyTorch and save it again to convert it'
        : 'This is not a PyTorch/Lightning .ckpt file: it does not start like a zip archive');
    }
    if (size < 22) throw new CkptError('bad-zip', `zip: the file is only ${size} bytes long; its end-of-central-directory record is missing (truncated)`);

    // End of central directory: the last 22 bytes, or further back past a comment of up to 64 KiB.
    const tailStart = Math.max(0, size - (22 + 0xffff));
    const tail = ZipArchive.fetch(source, tailStart, size - tailStart, 'the end of the file');
    let eocd = -1;
    for (let p = tail.length - 22; p >= 0; p--) {
      if (u32(tail, p) === SIG_EOCD && p + 22 + u16(tail, p + 20) <= tail.length) { eocd = p; break; }
    }
    if (eocd < 0) throw new CkptError('bad-zip', 'zip: no end-of-central-directory record (the file is truncated or not a zip archive)');
    const eocdAt = tailStart + eocd;
    if (u16(tail, eocd + 4) !== 0 || u16(tail, eocd + 6) !== 0) throw new CkptError('unsupported-zip', 'zip: multi-disk (split) archives are not supported');
    let count = u16(tail, eocd + 10);
    let cdSize = u32(tail, eocd + 12);
    let cdOffset = u32(tail, eocd + 16);
    let cdEnd = eocdAt;

    // Zip64: the locator sits right before the classic record.
    if (eocdAt >= 20) {
      const loc = ZipArchive.fetch(source, eocdAt - 20, 20, 'the zip64 locator');
      if (u32(loc, 0) === SIG_ZIP64_LOCATOR) {
        const at = u64(loc, 8, 'the zip64 record offset');
        if (!(at + 56 <= eocdAt - 20)) throw new CkptError('bad-zip', `zip: the zip64 end record at ${at} lies outside the file`);
        const z = ZipArchive.fetch(source, at, 56, 'the zip64 end record');
        if (u32(z, 0) !== SIG_ZIP64_EOCD) throw new CkptError('bad-zip', 'zip: the zip64 end record has a bad signature');
        if (u32(z, 16) !== 0 || u32(z, 20) !== 0) throw new CkptError('unsupported-zip', 'zip: multi-disk (split) archives are not supported');
        const z64 = [u64(z, 32, 'the entry count'), u64(z, 40, 'the central directory size'), u64(z, 48, 'the central directory offset')];
        // Classic fields are saturated when zip64 is needed, or else the same values (as torch.save writes them).
        const classic = [[count, 0xffff], [cdSize, 0xffffffff], [cdOffset, 0xffffffff]];
        if (classic.some(([v, sat], i) => v !== sat && v !== z64[i])) {
          throw new CkptError('bad-zip', 'zip: the zip64 end record disagrees with the classic one on the entry count or the central directory');
        }
        [count, cdSize, cdOffset] = z64;
        cdEnd = at;
      }
    }
    if (count > limits.maxEntries) throw new CkptError('too-large', `zip: ${count} entries declared, more than the ${limits.maxEntries} allowed`);
    if (cdSize > limits.maxCentralDirectoryBytes) {
      throw new CkptError('too-large', `zip: a central directory of ${fmtBytes(cdSize)} is declared, more than the ${fmtBytes(limits.maxCentralDirectoryBytes)} allowed`);
    }
    if (!(cdOffset + cdSize <= cdEnd)) {
      throw new CkptError('bad-zip', `zip: the central directory (${cdSize} bytes at ${cdOffset}) overlaps its end record at ${cdEnd} (truncated or damaged file)`);
    }
    if (count * 46 > cdSize) throw new CkptError('bad-zip', `zip: ${count} entries cannot fit in a central directory of ${cdSize} bytes`);

    const cd = ZipArchive.fetch(source, cdOffset, cdSize, 'the central directory');
    const names = new TextDecoder('utf-8', { fatal: true });
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || u32(cd, p) !== SIG_CENTRAL) throw new CkptError('bad-zip', `zip: central directory record ${i} is damaged (bad signature or truncated)`);
      const flags = u16(cd, p + 8);
      const method = u16(cd, p + 10);
      const crc = u32(cd, p + 16);
      let comp = u32(cd, p + 20), unc = u32(cd, p + 24);
      const nameLen = u16(cd, p + 28), extraLen = u16(cd, p + 30), commentLen = u16(cd, p + 32);
      let disk = u16(cd, p + 34);
      let offset = u32(cd, p + 42);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cd.length) throw new CkptError('bad-zip', `zip: central directory record ${i} runs past the directory`);
      let name: string;
      try {
        name = names.decode(cd.subarray(p + 46, p + 46 + nameLen));
      } catch {
        throw new CkptError('bad-zip', `zip: the name of entry ${i} is not valid UTF-8`);
      }
      // Zip64 extended information: the fields saturated in the record, in this order.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = u16(cd, e), len = u16(cd, e + 2);
        if (e + 4 + len > p + 46 + nameLen + extraLen) throw new CkptError('bad-zip', `zip: an extra field of ${JSON.stringify(name)} runs past its record`);
        if (id === 0x0001) {
          let q = e + 4;
          const take = (what: string) => {
            if (q + 8 > e + 4 + len) throw new CkptError('bad-zip', `zip: the zip64 field of ${JSON.stringify(name)} lacks its ${what}`);
            const v = u64(cd, q, `the ${what} of ${JSON.stringify(name)}`);
            q += 8;
            return v;
          };
          if (unc === 0xffffffff) unc = take('size');
          if (comp === 0xffffffff) comp = take('compressed size');
          if (offset === 0xffffffff) offset = take('offset');
          if (disk === 0xffff) { if (q + 4 > e + 4 + len) throw new CkptError('bad-zip', 'zip: truncated zip64 field'); disk = u32(cd, q); }
        }
        e += 4 + len;
      }
      if (disk !== 0) throw new CkptError('unsupported-zip', 'zip: multi-disk (split) archives are not supported');
      if (flags & 0x41) throw new CkptError('unsupported-zip', `zip: entry ${JSON.stringify(name)} is encrypted`);
      if (entries.has(name)) throw new CkptError('bad-zip', `zip: the entry ${JSON.stringify(name)} appears twice`);
      // Sizes that no entry can have, refused even for entries that will not be read.
      if (method === 0 && unc !== comp) throw new CkptError('bad-zip', `zip: the stored entry ${JSON.stringify(name)} declares ${unc} bytes but holds ${comp}`);
      if (method === 8 && unc > comp * MAX_DEFLATE_RATIO + 1024) {
        throw new CkptError('bad-zip', `zip: the deflated entry ${JSON.stringify(name)} declares ${unc} bytes from ${comp}, more than deflate can produce`);
      }
      if (!(offset + 30 + nameLen <= cdOffset)) throw new CkptError('bad-zip', `zip: entry ${JSON.stringify(name)} starts at ${offset}, past the file's data`);
      entries.set(name, { name, method, crc32: crc, compressedSize: comp, size: unc, headerOffset: offset, limit: cdOffset });
      p = end;
    }
    // Each entry's data must end before the next one begins: no overlaps, no entry read twice under two names.
    const sorted = [...entries.values()].sort((a, b) => a.headerOffset - b.headerOffset);
    for (let i = 0; i < sorted.length; i++) {
      const next = i + 1 < sorted.length ? sorted[i + 1].headerOffset : cdOffset;
      if (next === sorted[i].headerOffset) throw new CkptError('bad-zip', `zip: entries ${JSON.stringify(sorted[i].name)} and ${JSON.stringify(sorted[i + 1].name)} start at the same offset`);
      sorted[i].limit = next;
      if (sorted[i].headerOffset + 30 + sorted[i].compressedSize > next) {
        throw new CkptError('bad-zip', `zip: entry ${JSON.stringify(sorted[i].name)} declares ${sorted[i].compressedSize} bytes, more than the room before the next entry`);
      }
    }
    return new ZipArchive(source, limits, entries);
  }

  /** The uncompressed bytes of an entry, checked (local header, sizes, CRC-32). May be a view of the source's bytes. */
  read(entry: ZipEntry): Uint8Array {
    const q = JSON.stringify(entry.name);
    const hdr = ZipArchive.fetch(this.source, entry.headerOffset, 30, `the local header of ${q}`);
    if (u32(hdr, 0) !== SIG_LOCAL) throw new CkptError('bad-zip', `zip: the local header of ${q} has a bad signature`);
    if (u16(hdr, 8) !== entry.method) throw new CkptError('bad-zip', `zip: the local header of ${q} disagrees with the central directory on the compression method`);
    if (!(u16(hdr, 6) & 0x08)) {
      // No data descriptor: the local header's CRC and sizes must be the central directory's (torch.save uses descriptors and zeros here).
      const lc = u32(hdr, 14), ls = u32(hdr, 18), lu = u32(hdr, 22);
      if (lc !== entry.crc32 || (ls !== 0xffffffff && ls !== entry.compressedSize) || (lu !== 0xffffffff && lu !== entry.size)) {
        throw new CkptError('bad-zip', `zip: the local header of ${q} disagrees with the central directory on the CRC or the sizes`);
      }
    }
    const nameLen = u16(hdr, 26), extraLen = u16(hdr, 28);
    const start = entry.headerOffset + 30 + nameLen + extraLen;
    if (!(start + entry.compressedSize <= entry.limit)) {
      throw new CkptError('bad-zip', `zip: the data of ${q} (${entry.compressedSize} bytes at ${start}) runs into the next entry or past the data`);
    }
    const localName = ZipArchive.fetch(this.source, entry.headerOffset + 30, nameLen, `the local name of ${q}`);
    if (nameLen !== new TextEncoder().encode(entry.name).length || new TextDecoder().decode(localName) !== entry.name) {
      throw new CkptError('bad-zip', `zip: the local header of ${q} names another entry`);
    }
    const cost = entry.method === 0 ? entry.compressedSize : entry.size;
    if (this.bytesRead + cost > this.limits.maxReadBytes) {
      throw new CkptError('too-large', `zip: reading ${q} would take the bytes read past ${fmtBytes(this.limits.maxReadBytes)}`);
    }
    this.bytesRead += cost;
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) throw new CkptError('bad-zip', `zip: the stored entry ${q} declares ${entry.size} bytes but holds ${entry.compressedSize}`);
      data = ZipArchive.fetch(this.source, start, entry.size, `the data of ${q}`);
    } else if (entry.method === 8) {
      if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        throw new CkptError('bad-zip', `zip: the deflated entry ${q} declares ${entry.size} bytes from ${entry.compressedSize}, more than deflate can produce`);
      }
      const comp = ZipArchive.fetch(this.source, start, entry.compressedSize, `the data of ${q}`);
      const out = new Uint8Array(entry.size + 1);
      try {
        data = inflateSync(comp, { out });
      } catch (e) {
        throw new CkptError('bad-zip', `zip: the deflated data of ${q} is damaged (${(e as Error)?.message ?? String(e)})`, { cause: e });
      }
      if (data.length !== entry.size) throw new CkptError('bad-zip', `zip: the deflated entry ${q} inflates to ${data.length >= out.length ? 'more than' : ''} ${data.length} bytes, not the ${entry.size} declared`);
    } else {
      throw new CkptError('unsupported-zip', `zip: entry ${q} uses compression method ${entry.method} (only stored and deflated entries are read)`);
    }
    if (crc32(data) !== entry.crc32) throw new CkptError('bad-zip', `zip: entry ${q} fails its CRC-32 check (the file is damaged)`);
    return data;
  }
}
