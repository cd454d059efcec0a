/**
 * Fuzzing the `.ckpt` reader with thousands of mutations of the official
 * flm.ckpt: bit flips in data.pkl (with the CRC fixed up, so that they reach
 * the unpickler, and without), pickle integers and lengths made huge,
 * truncations, edited zip headers and huge declared sizes, flipped weight
 * bytes. Every outcome must be a Checkpoint or a CkptError with a one-line
 * message — never another exception — quickly, with memory bounded by a
 * small multiple of the file's size.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CkptError, readLightningCkpt } from '../../src/io/ckpt/index.ts';
import { DEFAULT_CKPT_LIMITS } from '../../src/io/ckpt/errors.ts';
import { bytesSource, crc32, ZipArchive } from '../../src/io/ckpt/zip.ts';

const base = new Uint8Array(readFileSync(new URL('../fixtures/official-ckpt/flm.ckpt', import.meta.url)));

/** Where things are in the base file. */
const layout = (() => {
  const archive = ZipArchive.open(bytesSource(base), DEFAULT_CKPT_LIMITS);
  const dv = new DataView(base.buffer, base.byteOffset, base.byteLength);
  let eocd = base.length - 22;
  while (dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const cdOffset = dv.getUint32(eocd + 16, true);
  const central = new Map<string, number>();
  for (let p = cdOffset; p < eocd;) {
    const n = dv.getUint16(p + 28, true);
    central.set(new TextDecoder().decode(base.subarray(p + 46, p + 46 + n)), p);
    p += 46 + n + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  const entries = [...archive.entries.values()].map((e) => {
    const start = e.headerOffset + 30 + dv.getUint16(e.headerOffset + 26, true) + dv.getUint16(e.headerOffset + 28, true);
    return { name: e.name, local: e.headerOffset, central: central.get(e.name)!, start, size: e.size };
  });
  const pkl = entries.find((e) => e.name.endsWith('data.pkl'))!;
  return { eocd, cdOffset, entries, pkl, data: entries.filter((e) => e.name.includes('/data/')) };
})();

function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** Recompute an entry's CRC-32 (local header and central record) after its data was edited. */
function fixCrc(b: Uint8Array, e: (typeof layout.entries)[number]) {
  const crc = crc32(b.subarray(e.start, e.start + e.size));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(e.local + 14, crc, true);
  dv.setUint32(e.central + 16, crc, true);
}

const KINDS = ['pickle bit flips, CRC fixed', 'pickle bit flips', 'pickle numbers made huge, CRC fixed', 'truncation', 'zip header edits',
  'huge declared sizes', 'weight bytes flipped, CRC fixed', 'pickle bytes dropped, CRC fixed'] as const;
type Kind = (typeof KINDS)[number];

function mutate(r: () => number): { kind: Kind; bytes: Uint8Array } {
  const kind = KINDS[Math.floor(r() * KINDS.length)];
  const b = base.slice();
  const dv = new DataView(b.buffer);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const { pkl } = layout;
  switch (kind) {
    case 'pickle bit flips, CRC fixed':
    case 'pickle bit flips': {
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n; i++) b[pkl.start + Math.floor(r() * pkl.size)] ^= 1 << Math.floor(r() * 8);
      if (kind === 'pickle bit flips, CRC fixed') fixCrc(b, pkl);
      return { kind, bytes: b };
    }
    case 'pickle numbers made huge, CRC fixed': {
      // Find an integer or length opcode and give it an extreme value.
      for (let tries = 0; tries < 50; tries++) {
        const p = pkl.start + Math.floor(r() * pkl.size);
        const op = b[p];
        if (op === 0x4b) { b[p + 1] = 0xff; break; } // BININT1
        if (op === 0x4d) { dv.setUint16(p + 1, 0xffff, true); break; } // BININT2
        if (op === 0x58) { dv.setUint32(p + 1, pick([0xffffffff, 0x7fffffff, 1 << 30, dv.getUint32(p + 1, true) + 1]), true); break; } // BINUNICODE
        if (op === 0x72 || op === 0x6a) { dv.setUint32(p + 1, pick([0xffffffff, 5_000_000, 1 << 20]), true); break; } // LONG_BINPUT/GET
        if (op === 0x71 || op === 0x68) { b[p + 1] = 0xff; break; } // BINPUT/BINGET
      }
      fixCrc(b, pkl);
      return { kind, bytes: b };
    }
    case 'pickle bytes dropped, CRC fixed': {
      // Shift the pickle left by a few bytes (same entry size: the tail is padded with STOP opcodes).
      const cut = pkl.start + Math.floor(r() * pkl.size), k = 1 + Math.floor(r() * 8);
      b.copyWithin(cut, cut + k, pkl.start + pkl.size);
      b.fill(0x2e, pkl.start + pkl.size - k, pkl.start + pkl.size);
      fixCrc(b, pkl);
      return { kind, bytes: b };
    }
    case 'truncation': {
      const len = r() < 0.5 ? Math.floor(r() * b.length) : b.length - 1 - Math.floor(r() * 200);
      return { kind, bytes: b.subarray(0, Math.max(0, len)) };
    }
    case 'zip header edits': {
      const e = pick(layout.entries);
      const at = pick([
        e.local + 8, e.local + 18, e.local + 22, e.local + 26, e.local + 28, e.local, // method, sizes, name/extra lengths, signature
        e.central + 10, e.central + 20, e.central + 24, e.central + 28, e.central + 30, e.central + 42, e.central,
        layout.eocd + 8, layout.eocd + 10, layout.eocd + 12, layout.eocd + 16, layout.eocd + 20, layout.eocd,
      ]);
      const n = 1 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) b[at + Math.floor(r() * 4)] = Math.floor(r() * 256);
      return { kind, bytes: b };
    }
    case 'huge declared sizes': {
      const e = pick(layout.entries);
      const v = pick([0xffffffff, 0x7fffffff, 0x80000000, b.length, e.size * 1000 + 1]);
      const at = pick([e.central + 20, e.central + 24, e.central + 42, layout.eocd + 12, layout.eocd + 16, e.local + 18, e.local + 22]);
      dv.setUint32(at, v, true);
      if (r() < 0.3) dv.setUint16(layout.eocd + 10, 0xffff, true);
      return { kind, bytes: b };
    }
    case 'weight bytes flipped, CRC fixed': {
      const e = pick(layout.data);
      if (e.size > 0) {
        const p = e.start + Math.floor(r() * e.size);
        b[p] ^= pick([0x80, 0x7f, 0xff, 1]);
        fixCrc(b, e);
      }
      return { kind, bytes: b };
    }
  }
}

function allocatedBy(f: () => unknown): number {
  const before = process.memoryUsage().arrayBuffers;
  try {
    f();
  } catch {
    // the outcome is checked separately
  }
  return process.memoryUsage().arrayBuffers - before;
}

describe('fuzzing the .ckpt reader', () => {
  it('3,000 mutations of flm.ckpt: a Checkpoint or a typed one-line error, quickly and with bounded memory', () => {
    expect(readLightningCkpt(base).checkpoint.config.vocab).toBe(37);
    const r = rng(2027);
    const counts = Object.fromEntries(KINDS.map((k) => [k, { ok: 0, typed: 0 }])) as Record<Kind, { ok: number; typed: number }>;
    const codes = new Map<string, number>();
    let worstMs = 0, worstAlloc = 0;
    const t0 = performance.now();
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const { kind, bytes } = mutate(r);
      const t = performance.now();
      try {
        readLightningCkpt(bytes);
        counts[kind].ok++;
      } catch (e) {
        if (!(e instanceof CkptError)) throw new Error(`mutation ${i} (${kind}): untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
        expect(e.message.length).toBeGreaterThan(10);
        expect(e.message).not.toContain('\n');
        counts[kind].typed++;
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      worstMs = Math.max(worstMs, performance.now() - t);
      if (i % 20 === 0) worstAlloc = Math.max(worstAlloc, allocatedBy(() => readLightningCkpt(bytes)) / base.length);
    }
    const ms = performance.now() - t0;
    const typed = Object.values(counts).reduce((a, c) => a + c.typed, 0);
    console.log(`fuzzed ${N} mutations of flm.ckpt in ${ms.toFixed(0)} ms (slowest ${worstMs.toFixed(0)} ms): ${N - typed} read, ${typed} typed errors; `
      + `largest allocation ${worstAlloc.toFixed(2)}× the file's size\n${KINDS.map((k) => `  ${k}: ${counts[k].ok} read, ${counts[k].typed} refused`).join('\n')}\n`
      + `  codes: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    // Every kind of mutation was tried, and the pickle-level ones reached the unpickler.
    for (const k of KINDS) expect(counts[k].ok + counts[k].typed, k).toBeGreaterThan(300);
    expect(codes.get('bad-pickle') ?? 0).toBeGreaterThan(100);
    expect(codes.get('bad-zip') ?? 0).toBeGreaterThan(100);
    expect(worstMs).toBeLessThan(2000);
    expect(worstAlloc).toBeLessThan(4);
  });
});
