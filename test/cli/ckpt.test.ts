/**
 * The `flm` command with official Lightning `.ckpt` files: convert → inspect →
 * sample on each official fixture, `.ckpt` accepted directly by sample,
 * inspect and eval, parity on `X.ckpt` + `X.expected.safetensors`, and
 * damaged files refused by inspect, convert and sample with one line and
 * exit code 2.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { readLightningCkpt } from '../../src/io/ckpt/index.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { uploadWeights } from '../../src/model/weights.ts';
import { randomArray } from '../helpers.ts';
import { lightningCkpt, officialOrder, PCall, PGlobal, PTensor, torchSave } from '../io/ckptWriter.ts';
import { flm, lastJson, root } from './flm.ts';

const fixtures = join(root, 'test/fixtures/official-ckpt');

/** Run jobs two or three at a time. */
async function all<T>(jobs: (() => Promise<T>)[], width = 3): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i](); }
  }));
  return out;
}

describe('flm convert / inspect / sample with the official .ckpt fixtures', () => {
  it('converts each fixture to a studio checkpoint that inspect and sample read; sample takes the .ckpt itself too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-ckpt-'));
    const names = ['flm', 'fmlm', 'flm_bf16'];
    const converted = await all(names.map((n) => () => flm(['convert', join(fixtures, `${n}.ckpt`), join(dir, `${n}.safetensors`)])));
    for (const [i, n] of names.entries()) {
      const r = converted[i];
      expect(r.status, r.stderr).toBe(0);
      expect(lastJson(r)).toMatchObject({ from: 'ckpt', kind: n === 'fmlm' ? 'fmlm' : 'flm', weights: 'ema', tokenizer: 'gpt2' });
      // The converted file holds the same weights and EMA as the import.
      const direct = readLightningCkpt(new Uint8Array(readFileSync(join(fixtures, `${n}.ckpt`)))).checkpoint;
      const back = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, `${n}.safetensors`))));
      expect(back.config).toEqual(direct.config);
      expect(back.meta.kind).toBe(direct.meta.kind);
      expect(back.meta.step).toBe(1234);
      expect(Array.from(back.ema!)).toEqual(Array.from(direct.ema!));
      expect(Array.from(back.params)).toEqual(Array.from(direct.params));
    }
    const runs = await all(names.flatMap((n) => [
      () => flm(['inspect', join(dir, `${n}.safetensors`)]),
      () => flm(['inspect', join(fixtures, `${n}.ckpt`)]),
      () => flm(['sample', '--checkpoint', join(dir, `${n}.safetensors`), '--steps', n === 'fmlm' ? '1' : '4', '--seed', '3', '--count', '2', '--backend', 'cpu']),
      () => flm(['sample', '--checkpoint', join(fixtures, `${n}.ckpt`), '--steps', n === 'fmlm' ? '1' : '4', '--seed', '3', '--count', '2', '--backend', 'cpu']),
    ]));
    for (const [i, n] of names.entries()) {
      const [inspectSt, inspectCkpt, sampleSt, sampleCkpt] = runs.slice(4 * i, 4 * i + 4);
      for (const r of [inspectSt, inspectCkpt, sampleSt, sampleCkpt]) expect(r.status, `${n}: ${r.stderr}`).toBe(0);
      const model = `V 37, L 24, D 64, 4 heads, 2 blocks, C 32${n === 'fmlm' ? ', two-time' : ''}, loss weighting`;
      expect(inspectSt.stdout).toContain(model);
      expect(inspectSt.stdout).toContain(`kind ${n === 'fmlm' ? 'fmlm' : 'flm'}`);
      expect(inspectSt.stdout).toContain('contains: weights, EMA');
      expect(inspectSt.stdout).toMatch(/converted from an official checkpoint: .*tokenizer gpt2/);
      expect(inspectCkpt.stdout).toContain(model);
      expect(inspectCkpt.stdout).toContain('PyTorch Lightning .ckpt');
      expect(inspectCkpt.stdout).toContain('sampling uses the EMA weights');
      expect(inspectCkpt.stdout).toContain(n === 'flm_bf16' ? 'bfloat16' : 'float32');
      if (n === 'fmlm') expect(inspectCkpt.stdout).toContain('teacher.* 43');
      // Sampling the converted file and the .ckpt gives the same tokens: the same weights, the same sampler.
      const a = lastJson(sampleSt), b = lastJson(sampleCkpt);
      expect(a.tokens.length).toBe(2);
      expect(a.tokens[0].length).toBe(24);
      expect(b.tokens).toEqual(a.tokens);
      expect(b.sampler).toBe(n === 'fmlm' ? 'FMLM, one-network flow-map sampler' : 'FLM, Euler sampler');
      expect(sampleCkpt.stdout).toContain('the gpt2 tokenizer is not bundled');
    }
  });

  it('eval opens .ckpt files through the same loader (a .ckpt is not a judge)', async () => {
    const r = await flm(['eval', '--models', join(fixtures, 'flm.ckpt'), '--judge', join(fixtures, 'fmlm.ckpt'), '--samples', '1', '--backend', 'cpu', '--out', mkdtempSync(join(tmpdir(), 'flm-ckpt-eval-'))]);
    expect(r.status).toBe(2); // refused before any work
    expect(r.stderr).toContain('is a fmlm checkpoint, not a judge');
  });
});

describe('damaged .ckpt files: one line and exit 2 from inspect, convert and sample', () => {
  it('truncated zip, corrupted pickle, os.system, huge declared sizes, wrong shapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-ckpt-bad-'));
    const good = new Uint8Array(readFileSync(join(fixtures, 'flm.ckpt')));
    const cfg = defaultConfig({ vocab: 20, length: 8, hidden: 16, heads: 2, blocks: 1, cond: 8 });
    const params = new Float32Array(paramLayout(cfg).total).map((_, i) => Math.sin(i) / 4);
    const q = officialOrder(cfg).find((s) => s.name === 'blocks.0.attn_qkv.weight')!;
    // A pickle whose bytes are damaged but whose zip entry is intact (its CRC right): an unknown opcode halfway.
    const damaged = Array.from('\x80\x02}q\x00(X\x05\x00\x00\x00epochq\x01K\x00\xff\xff.', (c) => c.charCodeAt(0));
    const corrupted = torchSave(null, { pickleBytes: Uint8Array.from(damaged) });
    const huge = good.slice();
    { // the central directory declares data.pkl's size as 4 GiB − 1
      const dv = new DataView(huge.buffer);
      let eocd = huge.length - 22;
      while (dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
      const cd = dv.getUint32(eocd + 16, true);
      dv.setUint32(cd + 24, 0xffffffff, true);
      dv.setUint32(cd + 20, 0xffffffff, true);
    }
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated.ckpt', good.subarray(0, 1_500_000), /end-of-central-directory|truncated/],
      ['corrupted.ckpt', corrupted, /pickle: unknown opcode 0xff/],
      ['system.ckpt', lightningCkpt({ config: cfg, params, extra: [['callbacks', new PCall(new PGlobal('os', 'system'), ['echo pwned > /tmp/flm-pwned'])]] }), /os\.system.*nothing was executed/],
      ['huge.ckpt', huge, /declares|more than/],
      ['shape.ckpt', lightningCkpt({ config: cfg, params, stateDictEdits: { [q.name]: new PTensor(new Float32Array(q.size), [q.shape[1], q.shape[0]]) } }), /shape \[16, 48\].*needs \[48, 16\]/],
    ];
    for (const [name, bytes] of cases) writeFileSync(join(dir, name), bytes);
    const runs = await all(cases.flatMap(([name]) => [
      () => flm(['inspect', join(dir, name)]),
      () => flm(['convert', join(dir, name), join(dir, `${name}.safetensors`)]),
      () => flm(['sample', '--checkpoint', join(dir, name), '--steps', '1', '--backend', 'cpu']),
    ]));
    for (const [i, [name, , why]] of cases.entries()) {
      const [inspect, convert, sample] = runs.slice(3 * i, 3 * i + 3);
      for (const [cmd, r, out] of [['inspect', inspect, inspect.stdout], ['convert', convert, convert.stderr], ['sample', sample, sample.stderr]] as const) {
        expect(r.status, `${cmd} ${name}: ${r.stdout}${r.stderr}`).toBe(2);
        const lines = out.trim().split('\n');
        expect(lines.length, `${cmd} ${name}: ${out}`).toBe(1);
        expect(lines[0]).toContain(name);
        expect(lines[0]).toMatch(why);
      }
      expect(convert.stdout).toBe('');
      expect(existsSync(join(dir, `${name}.safetensors`))).toBe(false);
    }
    expect(existsSync('/tmp/flm-pwned')).toBe(false);
  });
});

describe('flm parity with .ckpt fixtures', () => {
  it('recognises X.ckpt with X.expected.safetensors: the official three and one of another shape written the same way (CPU)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-ckpt-parity-'));
    for (const n of ['flm', 'fmlm', 'flm_bf16']) for (const ext of ['.ckpt', '.expected.safetensors']) copyFileSync(join(fixtures, n + ext), join(dir, n + ext));
    // Another shape: V=50, L=16, D=48, H=3, C=24, 3 blocks, two-time; expected logits from the same weights through the studio's own format.
    const cfg = defaultConfig({ vocab: 50, length: 16, hidden: 48, heads: 3, blocks: 3, cond: 24, twoTime: true, lossWeighting: true });
    const layout = paramLayout(cfg);
    const w = (seed: number) => {
      const a = new Float32Array(layout.total);
      for (const s of layout.specs) a.set(randomArray(s.size, seed + s.offset, 0.2), s.offset);
      return a;
    };
    const params = w(1), ema = w(2);
    writeFileSync(join(dir, 'other.ckpt'), lightningCkpt({ config: cfg, params, ema, prefix: 'backbone._orig_mod.', teacher: true }));
    const B = 2, V = cfg.vocab, L = cfg.length;
    const xt = new Float32Array(B * L * V).map((_, i) => Math.abs(Math.sin(i)) / V);
    const t = new Float32Array([0.25, 0.75]), tp = new Float32Array([0.5, 1]);
    const backend = new CpuBackend();
    const m = new DiT(backend, cfg, B, { inference: true });
    uploadWeights(backend, { params, ema }, m.params);
    backend.write(m.x, xt); backend.write(m.t, t); backend.write(m.tPrime!, tp);
    backend.compile(() => m.forward()).run();
    await backend.sync();
    const logits = await backend.read(m.logits);
    writeFileSync(join(dir, 'other.expected.safetensors'), writeSafetensors({
      xt: { dtype: 'F32', shape: [B, L, V], data: xt }, t: { dtype: 'F32', shape: [B], data: t }, t_prime: { dtype: 'F32', shape: [B], data: tp },
      logits: { dtype: 'F32', shape: [B, L, V], data: logits },
    }, { weights: 'ema' }));
    // And a ckpt whose expected logits are wrong: the run fails (exit 1) and says which.
    const bad = mkdtempSync(join(tmpdir(), 'flm-ckpt-parity-bad-'));
    copyFileSync(join(fixtures, 'flm.ckpt'), join(bad, 'flm.ckpt'));
    copyFileSync(join(fixtures, 'flm_bf16.expected.safetensors'), join(bad, 'flm.expected.safetensors'));
    const [r, rb] = await all([() => flm(['parity', dir, '--backend', 'cpu']), () => flm(['parity', bad, '--backend', 'cpu'])]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const summary = lastJson(r);
    expect(summary.files).toBe(4);
    expect(summary.pass).toBe(true);
    expect(summary.max_rel_err.ckpt).toBeLessThanOrEqual(1e-5);
    expect(summary.max_rel_err.ckpt).toBeGreaterThan(0);
    for (const n of ['flm', 'fmlm', 'flm_bf16', 'other']) expect(r.stdout).toMatch(new RegExp(`${n}\\.ckpt +\\| logits, EMA weights`));
    expect(r.stdout).not.toContain('not recognised');
    expect(rb.status).toBe(1);
    expect(lastJson(rb).pass).toBe(false);
    expect(rb.stdout).toContain('flm.ckpt');
  });
});
