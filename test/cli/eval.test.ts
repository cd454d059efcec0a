import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { weightsFingerprint } from '../../src/model/weights.ts';
import { META_VERSION, type DistillMeta } from '../../src/io/meta.ts';
import { randomArray } from '../helpers.ts';

const root = new URL('../../', import.meta.url).pathname;
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });

describe('npm run flm -- train-judge and eval', () => {
  it('trains a tiny judge with the tokenizer of --like, then sweeps an FLM and an FMLM against it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-eval-'));
    const p = (x: string) => join(dir, x);
    const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far'];
    const text = Array.from({ length: 600 }, (_, i) => words[(i * 7 + (i % 3)) % words.length]).join(' ') + '\n';
    writeFileSync(p('corpus.txt'), text);
    const tk = CharTokenizer.fromText(text);
    const small = { vocab: tk.vocabSize, length: 16, hidden: 16, heads: 2, blocks: 1, cond: 8 };
    const tiny = (kind: 'flm' | 'fmlm' | 'flowmap', twoTime: boolean, seed: number, distill?: DistillMeta): Checkpoint => {
      const config = defaultConfig({ ...small, twoTime, lossWeighting: kind === 'flowmap' });
      return {
        config, params: randomArray(paramLayout(config).total, seed, 0.2),
        meta: { format: 'flm-studio', version: META_VERSION, kind, name: kind, createdAt: new Date(0).toISOString(), step: 0, tokenizer: tk.toJSON(), ...(distill ? { distill } : {}) },
      };
    };
    const fBytes = encodeCheckpoint(tiny('flm', false, 1));
    const f = decodeCheckpoint(fBytes); // as a reader sees it (the padding between aligned tensors reads back as 0)
    writeFileSync(p('flm.safetensors'), fBytes);
    writeFileSync(p('fmlm.safetensors'), encodeCheckpoint(tiny('fmlm', true, 2)));
    // a stage-1 flow map distilled from flm.safetensors (its fingerprint in the metadata)
    writeFileSync(p('g.safetensors'), encodeCheckpoint(tiny('flowmap', true, 3, { stage: 1, teacherF: { name: 'flm', step: 0, fingerprint: weightsFingerprint(f) } })));

    const j = flm(['train-judge', '--corpus', p('corpus.txt'), '--like', p('flm.safetensors'), '--steps', '3', '--batch', '2',
      '--eval-every', '0', '--eval-batches', '1', '--backend', 'cpu', '--out', p('judge.safetensors')]);
    expect(j.status, j.stderr).toBe(0);
    const summary = JSON.parse(j.stdout.trim().split('\n').pop()!);
    expect(summary.steps).toBe(3);
    expect(summary.val_ppl).toBeCloseTo(Math.exp(summary.val_ce), 6);
    const judge = decodeCheckpoint(new Uint8Array(readFileSync(p('judge.safetensors'))));
    expect(judge.meta.kind).toBe('judge');
    expect(judge.config).toMatchObject({ ...small, causal: true });
    expect(judge.adamM).toBeDefined();
    expect(flm(['inspect', p('judge.safetensors')]).stdout).toContain('causal');

    const run = () => flm(['eval', '--models', p('flm.safetensors'), p('fmlm.safetensors'), '--judge', p('judge.safetensors'),
      '--samples', '3', '--batch', '2', '--steps-flm', '1,2', '--steps-fmlm', '1', '--corpus', p('corpus.txt'), '--backend', 'cpu', '--out', p('out')]);
    const e = run();
    expect(e.status, e.stderr).toBe(0);
    const path = e.stdout.trim().split('\n').pop()!;
    expect(path).toBe(join(p('out'), 'eval.json'));
    const res = JSON.parse(readFileSync(path, 'utf8'));
    expect(res.rows.map((r: { model: string; steps: number | null }) => [r.model, r.steps])).toEqual([['data', null], ['flm', 1], ['flm', 2], ['fmlm', 1]]);
    for (const r of res.rows) {
      expect(r.samples).toBe(3);
      expect(r.gen_ppl).toBeGreaterThan(1);
      expect(r.entropy).toBeGreaterThanOrEqual(0);
      expect(r.entropy).toBeLessThanOrEqual(Math.log(16));
      if (r.model !== 'data') expect(r.ms_per_sample).toBeGreaterThan(0);
    }
    // Every generative perplexity has its entropy beside it, and the entropy against the real text's (the data row).
    expect(res.data_entropy).toBe(res.rows[0].entropy);
    expect(res.rows[0].entropy_vs_data).toBeNull();
    for (const r of res.rows.slice(1)) expect(r.entropy_vs_data).toBeCloseTo(r.entropy / res.data_entropy - 1, 12);
    expect(e.stderr).toMatch(/fmlm fmlm\.safetensors 1 steps: gen ppl [\d.]+, entropy [\d.]+ \([−+][\d.]+ % vs data\)/);
    expect(readFileSync(join(p('out'), 'eval.md'), 'utf8')).toContain('| gen. perplexity | entropy (nats) | entropy vs data |');
    expect(res.judge).toMatchObject({ file: p('judge.safetensors'), step: 3, length: 16 });
    expect(res.judge.val_ppl).toBeCloseTo(res.rows[0].gen_ppl, 9);
    expect(existsSync(join(p('out'), 'eval.md'))).toBe(true);
    expect(readFileSync(join(p('out'), 'eval.md'), 'utf8')).toContain('| fmlm | fmlm.safetensors | 1 | 3 |');
    // A rerun reads the cached samples: the same numbers.
    const again = JSON.parse(readFileSync(run().stdout.trim().split('\n').pop()!, 'utf8'));
    expect(again.rows.map((r: { gen_ppl: number }) => r.gen_ppl)).toEqual(res.rows.map((r: { gen_ppl: number }) => r.gen_ppl));

    // A stage-1 flow map samples with its teacher: found among --models by its fingerprint, or given.
    const evalG = (models: string[], extra: string[] = []) => flm(['eval', '--models', ...models.map(p), '--judge', p('judge.safetensors'),
      '--samples', '2', '--batch', '2', '--steps-flm', '1', '--steps-fmlm', '1,2', '--corpus', p('corpus.txt'), '--backend', 'cpu', '--out', p('g-out'), ...extra]);
    const withG = evalG(['flm.safetensors', 'g.safetensors']);
    expect(withG.status, withG.stderr).toBe(0);
    const gRows = JSON.parse(readFileSync(withG.stdout.trim().split('\n').pop()!, 'utf8')).rows;
    expect(gRows.map((r: { model: string; steps: number | null }) => [r.model, r.steps])).toEqual([['data', null], ['flm', 1], ['flowmap', 1], ['flowmap', 2]]);
    const given = evalG(['g.safetensors'], ['--teacher', p('flm.safetensors'), '--no-cache']);
    expect(given.status, given.stderr).toBe(0);
    expect(JSON.parse(readFileSync(given.stdout.trim().split('\n').pop()!, 'utf8')).rows.slice(1)).toEqual(gRows.slice(2).map((r: object) => ({ ...r, ms_per_sample: expect.any(Number) })));
    const alone = evalG(['g.safetensors']);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toContain('not among --models');
    const wrongTeacher = evalG(['g.safetensors'], ['--teacher', p('fmlm.safetensors')]);
    expect(wrongTeacher.status).toBe(1);
    expect(wrongTeacher.stderr).toContain('was not distilled from fmlm.safetensors');

    const bad = flm(['eval', '--models', p('flm.safetensors'), '--judge', p('flm.safetensors'), '--samples', '2', '--backend', 'cpu', '--out', p('x')]);
    expect(bad.status).toBe(2); // refused before any work
    expect(bad.stderr).toContain('not a judge');
  });
});
