import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { flm, QUICK, tinyCheckpoint, tinySetup } from './cli.ts';

/**
 * Issue 20, defect 1: a step whose loss is finite can leave non-finite
 * weights (--lr 1e41: the loss is computed before the update). No command may
 * then write the checkpoint, replace the good file, or exit 0.
 */
describe('non-finite weights are never saved', () => {
  it('train --resume X --out X with a diverging step: exit ≠ 0, X unchanged and loadable, the message says so', async () => {
    const { p, model, corpus } = await tinySetup('nonfinite');
    const cases = [
      ['--steps', '1'],
      ['--steps', '3', '--save-every', '1'], // a periodic save after the first (finite-loss) step
    ];
    for (const extra of cases) {
      const x = p('X.safetensors');
      copyFileSync(model, x);
      const before = readFileSync(x);
      const r = flm(['train', '--corpus', corpus, '--resume', x, '--out', x, '--lr', '1e41', '--warmup', '0', ...QUICK, ...extra]);
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.status).not.toBeNull();
      // The last line says the save was refused and what X holds.
      const last = r.stderr.trim().split('\n').pop()!;
      expect(last).toMatch(/^flm: Not saved: weights tensor \S+ holds (-?Infinity|NaN)/);
      expect(last).toContain(`${x} is left as it was`);
      expect(readFileSync(x).equals(before)).toBe(true);
      expect(() => decodeCheckpoint(new Uint8Array(readFileSync(x)))).not.toThrow();
      // … and X still resumes.
      const again = flm(['train', '--corpus', corpus, '--resume', x, '--out', p('Y.safetensors'), ...QUICK, '--steps', '1']);
      expect(again.status, again.stderr).toBe(0);
    }
  });

  it('distill and train-judge with a diverging step: exit ≠ 0, nothing written', async () => {
    const { p, model, corpus } = await tinySetup('nonfinite-d');
    const g = flm(['distill', '--stage', '1', '--teacher', model, '--corpus', corpus, '--lr', '1e41', '--warmup', '0', '--steps', '1', ...QUICK, '--batch', '2', '--out', p('g.safetensors')]);
    expect(g.status, g.stderr).not.toBe(0);
    expect(g.status).not.toBeNull();
    expect(existsSync(p('g.safetensors'))).toBe(false);

    const judge = p('judge.safetensors');
    writeFileSync(judge, encodeCheckpoint(tinyCheckpoint('judge')));
    const before = readFileSync(judge);
    const j = flm(['train-judge', '--corpus', corpus, '--resume', judge, '--out', judge, '--lr', '1e41', '--warmup', '0', '--steps', '1', ...QUICK]);
    expect(j.status, j.stderr).not.toBe(0);
    expect(j.status).not.toBeNull();
    expect(readFileSync(judge).equals(before)).toBe(true);
  });

  it('a checkpoint holding a negative Adam second moment is refused as --resume, and the file is left alone', async () => {
    const { p, corpus, ckpt } = await tinySetup('nonfinite-v');
    const x = p('X.safetensors');
    // encodeCheckpoint refuses it too: write the bytes by hand from a valid file with the same layout.
    const good = encodeCheckpoint({ ...ckpt, adamM: new Float32Array(ckpt.params.length), adamV: new Float32Array(ckpt.params.length).fill(0.5) });
    const bytes = Buffer.from(good);
    const f = new Float32Array(1);
    f[0] = 0.5;
    const needle = Buffer.from(new Uint8Array(f.buffer));
    const header = Number(bytes.readBigUInt64LE(0));
    const json = JSON.parse(bytes.subarray(8, 8 + header).toString('utf8'));
    const at = 8 + header + json['optim.v.vocab_embed.embedding'].data_offsets[0];
    expect(bytes.subarray(at, at + 4).equals(needle)).toBe(true);
    bytes.writeFloatLE(-1, at);
    writeFileSync(x, bytes);
    const r = flm(['train', '--corpus', corpus, '--resume', x, '--out', x, ...QUICK, '--steps', '1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('second moment');
    expect(readFileSync(x).equals(bytes)).toBe(true);
  });
});
