/**
 * Host math shared by every backend and by the CPU side of training: the
 * Philox4x32-10 counter-based generator. Counter-based Gaussian noise: Philox4x32-10 (Salmon et al., SC'11) gives four
 * 32-bit words per (key, counter) block; Box–Muller turns each pair into two
 * standard normals. Element i of the stream (seed, counter) comes from block
 * i/4, word i%4, so any slice can be regenerated independently and the WGSL
 * kernel produces the same uniforms bit for bit.
 */

const M0 = 0xd2511f53, M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32, via 16-bit halves (same as the WGSL). */
export function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds; returns four u32 words. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** A u32 to a uniform in (0, 1) from its top 24 bits: (2N+1)/2^25 (the WGSL kernel reproduces it exactly). */
export function toUnit(x: number): number {
  return ((x >>> 8) + 0.5) / 16777216;
}

/** Key words derived from a seed (the seed's low and high 32 bits). */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

