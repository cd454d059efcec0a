import { readFileSync } from 'node:fs';

/** Bytes of a fixture copied into test/fixtures (never ../shared). */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/official-dit/${name}`, import.meta.url)));
}

/** Deterministic pseudo-random floats in [-scale, scale) (mulberry32). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Relative L2 error ‖a − b‖/‖b‖: the same measure the parity command reports. */
export { relL2 as maxRelL2 } from '../src/parity/dit.ts';
