/**
 * Fuzzing the file readers: 10,000+ mutated checkpoint files (bit flips,
 * truncations, edited headers, huge declared sizes). Every outcome must be a
 * decoded checkpoint or a typed, readable error — never another exception,
 * and never an allocation beyond the file's own size.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { SafetensorsError } from '../../src/io/safetensors.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { META_VERSION } from '../../src/io/meta.ts';
import { fixtureBytes, randomArray } from '../helpers.ts';

function tinyCheckpoint(): Uint8Array {
  const config = defaultConfig({ vocab: 5, length: 4, hidden: 8, heads: 2, blocks: 1, cond: 4 });
  const layout = paramLayout(config);
  const params = new Float32Array(layout.total);
  for (const s of layout.specs) params.set(randomArray(s.size, s.offset + 1), s.offset);
  return encodeCheckpoint({
    config, params, ema: params,
    meta: { format: 'flm-studio', version: META_VERSION, kind: 'flm', name: 'fuzz', createdAt: '2026-01-01T00:00:00Z', step: 3, lossHistory: [{ step: 1, loss: 1.5 }] },
  });
}

/** A small deterministic PRNG for the mutations. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

function headerLength(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
}

const EDITS: [RegExp, string][] = [
  [/"F32"/, '"F33"'], [/"F32"/, '"I64"'], [/"F32"/, '"BF16"'], [/\[(\d+)/, '[$1$1'], [/\[(\d+)/, '[-1'], [/\[(\d+)/, '[1e309'],
  [/"data_offsets":\[(\d+)/, '"data_offsets":[999999999'], [/\],"shape"/, ',5],"shape"'], [/\{/, '['], [/"vocab":"5"/, '"vocab":"x"'],
  [/"vocab":"5"/, '"vocab":"6"'], [/"hidden_size":"8"/, '"hidden_size":"7"'], [/"flm_studio":"\{/, '"flm_studio":"{{'], [/"n_heads":"2"/, '"n_heads":"0"'],
  [/"shape":\[[^\]]*\]/, '"shape":[]'], [/"data_offsets":\[\d+,\d+\]/, '"data_offsets":[0,4]'], [/"__metadata__"/, '"__metadatum__"'],
];

function mutate(base: Uint8Array, r: () => number): Uint8Array {
  const b = Uint8Array.from(base);
  const kind = Math.floor(r() * 6);
  const hl = Math.min(headerLength(base), base.length - 8);
  switch (kind) {
    case 0: { // bit flips anywhere (mostly in the header, where they matter)
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n; i++) { const pos = r() < 0.8 ? 8 + Math.floor(r() * hl) : Math.floor(r() * b.length); b[pos] ^= 1 << Math.floor(r() * 8); }
      return b;
    }
    case 1: return b.subarray(0, Math.floor(r() * b.length)); // truncation
    case 2: { // huge or odd declared header length
      const dv = new DataView(b.buffer);
      const choices = [0, 1, 7, 0xffffffff, hl + 1, hl - 1, b.length];
      dv.setUint32(0, choices[Math.floor(r() * choices.length)], true);
      dv.setUint32(4, r() < 0.2 ? 0xffffffff : 0, true);
      return b;
    }
    case 3: { // an edited header (same or different length)
      const text = new TextDecoder().decode(b.subarray(8, 8 + hl));
      const [re, rep] = EDITS[Math.floor(r() * EDITS.length)];
      const edited = new TextEncoder().encode(text.replace(re, rep));
      const out = new Uint8Array(8 + edited.length + (b.length - 8 - hl));
      new DataView(out.buffer).setUint32(0, edited.length, true);
      out.set(edited, 8);
      out.set(b.subarray(8 + hl), 8 + edited.length);
      return out;
    }
    case 4: { // NaN / Inf planted in the data
      const pos = 8 + hl + 4 * Math.floor(r() * ((b.length - 8 - hl) / 4));
      new DataView(b.buffer).setFloat32(pos, r() < 0.5 ? NaN : Infinity, true);
      return b;
    }
    default: { // random bytes appended or a chunk of the data removed
      if (r() < 0.5) return Uint8Array.from([...b, ...Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256))]);
      const cut = 8 + hl + Math.floor(r() * (b.length - 8 - hl));
      return Uint8Array.from([...b.subarray(0, cut), ...b.subarray(Math.min(b.length, cut + 16))]);
    }
  }
}

/**
 * Bytes of ArrayBuffer memory a decode allocates, measured: the growth of
 * the process's ArrayBuffer memory across the call (what a failed decode
 * allocated is garbage by then but not yet collected, so it still counts).
 */
function allocatedBy(f: () => unknown): number {
  const before = process.memoryUsage().arrayBuffers;
  try {
    f();
  } catch {
    // the outcome is checked separately
  }
  return process.memoryUsage().arrayBuffers - before;
}

function outcome(bytes: Uint8Array): 'ok' | 'typed' {
  try {
    decodeCheckpoint(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof SafetensorsError) {
      expect(e.message.length).toBeGreaterThan(10);
      return 'typed';
    }
    throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

describe('fuzzing the checkpoint reader', () => {
  it('10,000 mutations of a small checkpoint: only typed errors, quickly', () => {
    const base = tinyCheckpoint();
    expect(outcome(base)).toBe('ok');
    const r = rng(2026);
    const counts = { ok: 0, typed: 0 };
    const t0 = performance.now();
    let worst = 0;
    for (let i = 0; i < 10_000; i++) {
      const bytes = mutate(base, r);
      const t = performance.now();
      counts[outcome(bytes)]++;
      expect(performance.now() - t).toBeLessThan(1000);
      // Every 10th file: what decoding it allocated, against the file's size
      // (the decoded weights, EMA and moments are the file's own data: at most
      // a few copies of it, whatever sizes the header declares).
      if (i % 10 === 0) worst = Math.max(worst, allocatedBy(() => decodeCheckpoint(bytes)) / bytes.length);
    }
    console.log(`fuzzed 10,000 files in ${(performance.now() - t0).toFixed(0)} ms: ${counts.ok} decoded, ${counts.typed} typed errors; `
      + `largest allocation ${worst.toFixed(2)}× the file's size`);
    expect(counts.typed).toBeGreaterThan(5000);
    expect(worst).toBeLessThan(4);
  });

  it('allocates nothing the size of what a header declares: huge shapes and offsets in a small file', () => {
    const base = tinyCheckpoint();
    const hl = headerLength(base);
    const header = new TextDecoder().decode(base.subarray(8, 8 + hl));
    const edits = [
      header.replace(/"shape":\[[^\]]*\]/, '"shape":[1000000000]'),
      header.replace(/"data_offsets":\[(\d+),(\d+)\]/, '"data_offsets":[$1,4000000000]'),
      header.replace(/"length":"4"/, '"length":"100000000"'),
      header.replace(/"vocab":"5"/, '"vocab":"2000000000"'),
    ];
    for (const h of edits) {
      expect(h).not.toBe(header);
      const text = new TextEncoder().encode(h);
      const bytes = new Uint8Array(8 + text.length + (base.length - 8 - hl));
      new DataView(bytes.buffer).setUint32(0, text.length, true);
      bytes.set(text, 8);
      bytes.set(base.subarray(8 + hl), 8 + text.length);
      expect(outcome(bytes)).toBe('typed');
      expect(allocatedBy(() => decodeCheckpoint(bytes))).toBeLessThan(4 * bytes.length + 65536);
    }
  });

  it('200 mutations of the official checkpoint fixture', () => {
    const base = fixtureBytes('checkpoint_flm.safetensors');
    const r = rng(7);
    for (let i = 0; i < 200; i++) outcome(mutate(base, r));
  });
});
