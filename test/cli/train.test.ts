import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainByteLevelBpe } from '../../src/data/bpeTrainer.ts';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';

const root = new URL('../../', import.meta.url).pathname;
const flm = (args: string[]) => spawnSync('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root, encoding: 'utf8' });
const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

describe('npm run flm -- train', () => {
  it('trains, writes a checkpoint, and --resume continues exactly where an uninterrupted run would be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-train-'));
    const common = ['--corpus', 'brown', '--preset', 'micro', '--backend', 'cpu', '--batch', '2', '--eval-every', '0'];
    const a = flm(['train', ...common, '--steps', '4', '--out', join(dir, 'a.safetensors')]);
    expect(a.status, a.stderr).toBe(0);
    const sa = last(a.stdout);
    expect(sa.steps).toBe(4);
    expect(sa.first_loss).toBeCloseTo(Math.log(decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'a.safetensors')))).config.vocab), 4);
    for (const k of ['first_loss', 'last_loss', 'val_ce', 'tokens_per_s']) expect(Number.isFinite(sa[k])).toBe(true);
    const b1 = flm(['train', ...common, '--steps', '2', '--out', join(dir, 'b.safetensors')]);
    expect(b1.status, b1.stderr).toBe(0);
    const b2 = flm(['train', ...common, '--steps', '2', '--resume', join(dir, 'b.safetensors'), '--out', join(dir, 'c.safetensors')]);
    expect(b2.status, b2.stderr).toBe(0);
    expect(last(b2.stdout).steps).toBe(4);
    expect(last(b2.stdout).last_loss).toBe(sa.last_loss);
    const ca = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'a.safetensors'))));
    const cc = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'c.safetensors'))));
    expect(cc.params).toEqual(ca.params);
    expect(cc.meta.lossHistory!.map((p) => p.loss)).toEqual(ca.meta.lossHistory!.map((p) => p.loss));
    expect(existsSync(join(dir, 'c.safetensors.tmp-' + process.pid))).toBe(false);
    expect(ca.meta.data?.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Resuming on other text is refused: the batches would not continue the run.
    const other = join(dir, 'other.txt');
    writeFileSync(other, readFileSync(join(root, 'public/corpus/brown.txt'), 'utf8').slice(0, 200_000));
    const wrong = flm(['train', ...common.map((x) => (x === 'brown' ? other : x)), '--steps', '1', '--resume', join(dir, 'b.safetensors'), '--out', join(dir, 'd.safetensors')]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('is not the text this checkpoint was trained on');
    expect(existsSync(join(dir, 'd.safetensors'))).toBe(false);
  });

  it('trains with the bundled BPE tokenizer (vocab 512) saved in the checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-train-'));
    const r = flm(['train', '--tokenizer', 'bpe', '--preset', 'micro', '--backend', 'cpu', '--batch', '2', '--steps', '2', '--eval-every', '0', '--out', join(dir, 'bpe.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'bpe.safetensors'))));
    expect(c.config.vocab).toBe(512);
    expect(c.meta.tokenizer?.type).toBe('bpe');
    expect(last(r.stdout).first_loss).toBeCloseTo(Math.log(512), 4);
  });

  it('trains with a byte-level BPE tokenizer.json file, and refuses a file that is not one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flm-train-'));
    const text = readFileSync(join(root, 'public/corpus/brown.txt'), 'utf8').slice(0, 100_000);
    writeFileSync(join(dir, 'words-300.json'), JSON.stringify(trainByteLevelBpe(text, 300)));
    const r = flm(['train', '--tokenizer', join(dir, 'words-300.json'), '--preset', 'micro', '--backend', 'cpu', '--batch', '2', '--steps', '1', '--eval-every', '0', '--out', join(dir, 'bpe.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'bpe.safetensors'))));
    expect(c.config.vocab).toBe(300);
    expect(c.meta.tokenizer).toMatchObject({ type: 'bpe', name: 'words-300' });

    writeFileSync(join(dir, 'wordpiece.json'), JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: { a: 0 } } }));
    const wp = flm(['train', '--tokenizer', join(dir, 'wordpiece.json'), '--backend', 'cpu', '--steps', '1', '--out', join(dir, 'wp.safetensors')]);
    expect(wp.status).toBe(2);
    expect(wp.stderr).toContain('is not a byte-level BPE tokenizer.json');
    expect(existsSync(join(dir, 'wp.safetensors'))).toBe(false);
  });

  it('says what is wrong with bad arguments', () => {
    expect(flm(['train', '--steps', '2']).stderr).toContain('--out');
    expect(flm(['train', '--steps', '2', '--out', '/tmp/x.safetensors', '--tokenizer', 'words']).stderr).toContain('--tokenizer must be char, bpe, bpe-4096 or a tokenizer.json file');
    const missing = flm(['train', '--steps', '1', '--out', '/tmp/x.safetensors', '--corpus', '/nonexistent.txt', '--backend', 'cpu']);
    expect(missing.status).toBe(2); // refused before any work
    expect(missing.stderr).toContain('no bundled corpus or file named');
  });
});
