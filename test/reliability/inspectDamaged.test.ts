import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InspectError, inspectFile } from '../../src/cli/inspect.ts';
import { encodeCheckpoint, META_KEY } from '../../src/io/checkpoint.ts';
import { readSafetensors, writeSafetensors, type StTensor } from '../../src/io/safetensors.ts';
import { flm, root, tempDir, tinyCheckpoint } from './cli.ts';

/**
 * Issue 20, defects 6 and 9: `flm inspect` is a health check — every damaged
 * model exits 2 with its reason on one line (in-process: `inspectFile`
 * throws InspectError, which `flm` turns into exit 2), while a valid
 * checkpoint and a safetensors file that is no model (a parity fixture)
 * still exit 0.
 */
type Edit = (tensors: Map<string, StTensor>, meta: Record<string, string>) => void;

function base() {
  const c = tinyCheckpoint('flm');
  const n = c.params.length;
  return encodeCheckpoint({ ...c, ema: c.params.slice(), adamM: new Float32Array(n).fill(0.01), adamV: new Float32Array(n).fill(0.02) });
}

/** A copy of a valid checkpoint with tensors or metadata edited. */
function edited(edit: Edit): Uint8Array {
  const f = readSafetensors(base());
  const tensors = new Map([...f.tensors].map(([k, t]) => [k, { ...t, data: t.data.slice() } as StTensor]));
  const meta = { ...f.metadata };
  edit(tensors, meta);
  return writeSafetensors(tensors, meta);
}

const setValue = (name: string, v: number): Edit => (t) => { (t.get(name)!.data as Float32Array)[3] = v; };
const studio = (change: (m: Record<string, unknown>) => void): Edit => (_, meta) => {
  const m = JSON.parse(meta[META_KEY]);
  change(m);
  meta[META_KEY] = JSON.stringify(m);
};

/** Raw-byte damage: the header as JSON text, edited. */
function rawHeader(change: (header: string) => string, tail = new Uint8Array(0)): Uint8Array {
  const bytes = base();
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = new TextEncoder().encode(change(new TextDecoder().decode(bytes.subarray(8, 8 + n))));
  const data = bytes.subarray(8 + n);
  const out = new Uint8Array(8 + header.length + data.length + tail.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  out.set(tail, 8 + header.length + data.length);
  return out;
}

const CASES: [string, () => Uint8Array][] = [
  ['NaN weight', () => edited(setValue('vocab_embed.embedding', NaN))],
  ['+Inf weight', () => edited(setValue('blocks.0.attn_qkv.weight', Infinity))],
  ['−Inf EMA weight', () => edited(setValue('ema.vocab_embed.embedding', -Infinity))],
  ['NaN Adam first moment', () => edited(setValue('optim.m.vocab_embed.embedding', NaN))],
  ['Inf Adam second moment', () => edited(setValue('optim.v.vocab_embed.embedding', Infinity))],
  ['negative Adam second moment', () => edited(setValue('optim.v.vocab_embed.embedding', -1))],
  ['a weight tensor missing', () => edited((t) => { t.delete('blocks.0.mlp.0.weight'); })],
  ['an EMA tensor missing', () => edited((t) => { t.delete('ema.blocks.0.mlp.0.weight'); })],
  ['an Adam tensor missing', () => edited((t) => { t.delete('optim.v.blocks.0.norm1.weight'); })],
  ['a weight tensor renamed', () => edited((t) => { t.set('blocks.0.mlp.zero.weight', t.get('blocks.0.mlp.0.weight')!); t.delete('blocks.0.mlp.0.weight'); })],
  ['an extra tensor', () => edited((t) => { t.set('blocks.7.extra', { dtype: 'F32', shape: [2], data: new Float32Array(2) }); })],
  ['a wrong shape', () => edited((t) => { const x = t.get('blocks.0.attn_qkv.weight')!; t.set('blocks.0.attn_qkv.weight', { ...x, shape: [x.shape[1], x.shape[0]] }); })],
  ['a wrong shape in the EMA', () => edited((t) => { const x = t.get('ema.vocab_embed.embedding')!; t.set('ema.vocab_embed.embedding', { ...x, shape: [x.shape[0] * x.shape[1]] }); })],
  ['F32 relabelled I32', () => edited((t) => { const x = t.get('vocab_embed.embedding')!; t.set('vocab_embed.embedding', { dtype: 'I32', shape: x.shape, data: new Int32Array(x.data.buffer.slice(0)) }); })],
  ['a rotary buffer of another base', () => edited(setValue('rotary_emb.inv_freq', 0.5))],
  ['studio metadata: not JSON', () => edited((_, m) => { m[META_KEY] = '{"format": "flm-studio",'; })],
  ['studio metadata: not an object', () => edited((_, m) => { m[META_KEY] = '[1, 2]'; })],
  ['studio metadata: another format', () => edited(studio((m) => { m.format = 'other'; }))],
  ['studio metadata: a newer version', () => edited(studio((m) => { m.version = 99; }))],
  ['studio metadata: unknown kind', () => edited(studio((m) => { m.kind = 'gpt'; }))],
  ['studio metadata: a flow map on a one-time model', () => edited(studio((m) => { m.kind = 'flowmap'; }))],
  ['studio metadata: a judge without causal attention', () => edited(studio((m) => { m.kind = 'judge'; }))],
  ['studio metadata: a negative step', () => edited(studio((m) => { m.step = -5; }))],
  ['studio metadata: damaged tokenizer', () => edited(studio((m) => { m.tokenizer = { type: 'char', chars: 7 }; }))],
  ['studio metadata: lr as text', () => edited(studio((m) => { (m.train as Record<string, unknown>).lr = 'fast'; }))],
  ['studio metadata: unknown corpus kind', () => edited(studio((m) => { m.data = { corpus: { kind: 'path', path: '/etc/passwd' } }; }))],
  ['studio metadata: loss history not a list', () => edited(studio((m) => { m.lossHistory = 3; }))],
  ['studio metadata: distillation stage 3', () => edited(studio((m) => { m.distill = { stage: 3 }; }))],
  ['config: hidden_size missing', () => edited((_, m) => { delete m.hidden_size; })],
  ['config: length 16384', () => edited((_, m) => { m.length = '16384'; })],
  ['config: vocab not a number', () => edited((_, m) => { m.vocab = 'many'; })],
  ['config: heads do not divide hidden', () => edited((_, m) => { m.n_heads = '3'; })],
  ['config: another vocabulary than the tensors', () => edited((_, m) => { m.vocab = String(Number(m.vocab) + 1); })],
  ['safetensors: a gap between tensors', () => rawHeader((h) => {
    // The last tensor moved 4 bytes on, the data 4 bytes longer.
    const ends = [...h.matchAll(/"data_offsets":\[(\d+),(\d+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const [a, b] = ends.reduce((x, y) => (y[1] > x[1] ? y : x));
    return h.replace(`"data_offsets":[${a},${b}]`, `"data_offsets":[${a + 4},${b + 4}]`);
  }, new Uint8Array(4))],
  ['safetensors: trailing bytes', () => rawHeader((h) => h, new Uint8Array(16))],
  ['safetensors: a duplicate key', () => rawHeader((h) => h.replace('{', '{"vocab_embed.embedding":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'))],
  ['safetensors: truncated', () => base().subarray(0, 5000)],
];

describe('flm inspect on damaged models', () => {
  it(`refuses each of ${CASES.length} kinds of damage with one line (exit 2), and still summarises good files`, () => {
    const dir = tempDir('inspect-damage');
    const accepted: string[] = [];
    for (const [what, make] of CASES) {
      const path = join(dir, `${what.replace(/[^a-z0-9]+/gi, '-')}.safetensors`);
      writeFileSync(path, make());
      try {
        inspectFile(path);
        accepted.push(what);
      } catch (e) {
        expect(e, what).toBeInstanceOf(InspectError);
        expect((e as Error).message, what).toContain(path);
      }
    }
    expect(accepted).toEqual([]);
    // Good files: a studio checkpoint, an official one, a parity fixture (no model: its tensors are listed).
    writeFileSync(join(dir, 'good.safetensors'), base());
    expect(inspectFile(join(dir, 'good.safetensors'))[1]).toContain('kind flm');
    expect(inspectFile(join(root, 'test/fixtures/official-dit/checkpoint_flm.safetensors'))[1]).toContain('kind flm');
    expect(inspectFile(join(root, 'test/fixtures/official-dit/dit_flm.safetensors'))[1]).toContain('not a FLM checkpoint');
    expect(inspectFile(join(root, 'test/fixtures/official-dit/sampler_euler_flm.safetensors'))[1]).toContain('not a FLM checkpoint');
  });

  it('exit codes: 2 with one line for damage, 0 for a good file', () => {
    const dir = tempDir('inspect-exit');
    for (const [what, make] of CASES.filter(([w]) => /NaN weight|renamed|vocabulary than/.test(w))) {
      const path = join(dir, 'x.safetensors');
      writeFileSync(path, make());
      const r = flm(['inspect', path]);
      expect(r.status, `${what}: ${r.stdout}`).toBe(2);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    }
    writeFileSync(join(dir, 'good.safetensors'), base());
    expect(flm(['inspect', join(dir, 'good.safetensors')]).status).toBe(0);
  });
});
