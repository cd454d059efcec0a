/**
 * `flm bundle`: the sampling weights as float16 / bfloat16, read back widened
 * by the ordinary checkpoint reader, with the checkpoint's config, kind,
 * tokenizer and loss history; a weight float16 cannot hold is refused.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHalfBits, roundToHalf, toBfloat16Bits } from '../../src/engine/host/half.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { flm, lastJson, root } from './flm.ts';

const micro = join(root, 'public/models/fmlm-micro-char.safetensors');
const bf16 = (x: number) => new Float32Array(new Uint32Array([toBfloat16Bits(x) << 16]).buffer)[0];

describe('bfloat16 rounding', () => {
  it('rounds to nearest, ties to even, and keeps NaN and the infinities', () => {
    expect(bf16(1)).toBe(1);
    expect(bf16(1 + 2 ** -8)).toBe(1); // a tie between 1 and 1 + 2^-7: to the even one
    expect(bf16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6); // a tie: to the even one, upwards
    expect(bf16(1 + 2 ** -8 + 2 ** -20)).toBe(1 + 2 ** -7); // above the tie
    expect(bf16(-3.14159)).toBe(-3.140625);
    expect(Number.isNaN(bf16(NaN))).toBe(true);
    expect(bf16(-Infinity)).toBe(-Infinity);
    expect(fromHalfBits(0x3c00)).toBe(1);
  });
});

describe('npm run flm -- bundle', () => {
  it('keeps the EMA weights only, as float16 (default) or bfloat16, which the reader widens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-bundle-'));
    const src = decodeCheckpoint(new Uint8Array(readFileSync(micro)));
    expect(src.ema).toBeDefined();
    const [h, b] = await Promise.all([
      flm(['bundle', micro, join(dir, 'h.safetensors')]),
      flm(['bundle', micro, join(dir, 'b.safetensors'), '--dtype', 'bf16']),
    ]);
    expect(h.status, h.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(lastJson(h)).toMatchObject({ kind: 'fmlm', weights: 'ema', dtype: 'F16', step: src.meta.step });
    expect(lastJson(h).max_abs_err).toBeLessThanOrEqual(lastJson(h).max_abs * 2 ** -11);
    expect(lastJson(b).max_abs_err).toBeLessThanOrEqual(lastJson(b).max_abs * 2 ** -8);

    const bytes = new Uint8Array(readFileSync(join(dir, 'h.safetensors')));
    expect(statSync(join(dir, 'h.safetensors')).size).toBeLessThan(statSync(micro).size / 7); // 2 of 16 bytes a weight
    const file = readSafetensors(bytes);
    const dtypes = new Set([...file.tensors.entries()].filter(([k]) => k !== 'rotary_emb.inv_freq').map(([, t]) => t.dtype));
    expect([...dtypes]).toEqual(['F16']);
    expect([...file.tensors.keys()].some((k) => k.startsWith('ema.') || k.startsWith('optim.'))).toBe(false);

    const h16 = decodeCheckpoint(bytes);
    expect(h16.config).toEqual(src.config);
    expect(h16.meta.kind).toBe('fmlm');
    expect(h16.meta.tokenizer).toEqual(src.meta.tokenizer);
    expect(h16.meta.lossHistory).toEqual(src.meta.lossHistory);
    expect(h16.ema).toBeUndefined();
    expect(h16.adamM).toBeUndefined();
    expect(h16.params).toEqual(src.ema!.map(roundToHalf));
    const b16 = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'b.safetensors'))));
    expect(b16.params).toEqual(src.ema!.map(bf16));

    // The bundled file samples like any checkpoint.
    const s = await flm(['sample', '--checkpoint', join(dir, 'h.safetensors'), '--steps', '1', '--count', '1', '--backend', 'cpu']);
    expect(s.status, s.stderr).toBe(0);
  });

  it('refuses a weight float16 cannot hold (and writes nothing), and bad arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-bundle-'));
    const src = decodeCheckpoint(new Uint8Array(readFileSync(micro)));
    const ema = src.ema!.slice();
    ema[5] = 1e5;
    writeFileSync(join(dir, 'big.safetensors'), encodeCheckpoint({ ...src, ema }));
    const [r, usage, same] = await Promise.all([
      flm(['bundle', join(dir, 'big.safetensors'), join(dir, 'out.safetensors')]),
      flm(['bundle', micro, join(dir, 'x.safetensors'), '--dtype', 'f8']),
      flm(['bundle', micro, micro]),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('= 100000 does not fit in float16');
    expect(r.stderr).toContain('bfloat16');
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--dtype must be f16, bf16 or f32');
    expect(same.status).toBe(2);
    expect(same.stderr).toContain('is the input itself');
    const bf = await flm(['bundle', join(dir, 'big.safetensors'), join(dir, 'out.safetensors'), '--dtype', 'bf16']);
    expect(bf.status, bf.stderr).toBe(0);
  });
});
