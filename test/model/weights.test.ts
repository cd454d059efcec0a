import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { modelWeights, uploadWeights, weightsFingerprint } from '../../src/model/weights.ts';

const bundled = (name: string) => decodeCheckpoint(new Uint8Array(readFileSync(new URL(`../../public/models/${name}`, import.meta.url))));

describe('checkpoint weights', () => {
  it('run with the EMA when there is one, the raw weights otherwise', async () => {
    const b = new CpuBackend();
    const params = new Float32Array([1, 2, 3]), ema = new Float32Array([4, 5, 6]);
    expect(modelWeights({ params, ema })).toBe(ema);
    expect(modelWeights({ params })).toBe(params);
    expect(Array.from(await b.read(uploadWeights(b, { params, ema })))).toEqual([4, 5, 6]);
    const into = b.tensor(3, 'model');
    expect(uploadWeights(b, { params }, into)).toBe(into);
    expect(Array.from(await b.read(into))).toEqual([1, 2, 3]);
    expect(() => uploadWeights(b, { params }, b.tensor(4))).toThrow(/4 floats, the weights 3/);
  });

  it('have one fingerprint: the one the bundled distilled models recorded for their teachers', () => {
    const flm = bundled('flm-micro-char.safetensors'), g = bundled('flowmap-micro-char.safetensors'), fmlm = bundled('fmlm-micro-char.safetensors');
    expect(g.meta.distill?.teacherF.fingerprint).toBe(weightsFingerprint(flm));
    expect(fmlm.meta.distill?.teacherF.fingerprint).toBe(weightsFingerprint(flm));
    expect(fmlm.meta.distill?.teacherG?.fingerprint).toBe(weightsFingerprint(g));
    expect(weightsFingerprint(flm)).not.toBe(weightsFingerprint({ params: flm.params }));
  });
});
