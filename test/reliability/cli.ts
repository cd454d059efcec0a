/**
 * Shared by the CLI reliability tests: the `flm` command as a child process
 * and a tiny FLM (V ≈ 12, L 16, D 16, one block) with its corpus, so that a
 * run of a few steps on the CPU backend takes well under a second.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { corpusDigest } from '../../src/data/corpus.ts';
import { encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.ts';
import { META_VERSION, type CheckpointMeta, type ModelKind } from '../../src/io/meta.ts';
import { defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { paramLayout } from '../../src/model/layout.ts';
import { presetTrain } from '../../src/train/presets.ts';
import { randomArray } from '../helpers.ts';

export const root = new URL('../../', import.meta.url).pathname;
const NODE_ARGS = ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts'];

/** `flm <args>` to completion (SIGKILLed after `timeout` ms: a training command saves on SIGTERM). */
export function flm(args: string[], timeout = 30_000): SpawnSyncReturns<string> {
  return spawnSync('node', [...NODE_ARGS, ...args], { cwd: root, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
}

/**
 * `flm <args>` with its wall time (s), and its peak resident memory (bytes)
 * and CPU time (s) as it reported them on exit (NaN when it died before it
 * could, e.g. killed at `timeout`). On a loaded machine the wall time says
 * little; the CPU time is what a hang-free refusal is judged by.
 */
export function flmMeasured(args: string[], timeout = 60_000): SpawnSyncReturns<string> & { seconds: number; maxRss: number; cpuSeconds: number } {
  const file = join(tempDir('rss'), 'usage.json');
  const t0 = performance.now();
  const r = spawnSync('node', ['--import', './test/reliability/maxrss.mjs', ...NODE_ARGS, ...args], {
    cwd: root, encoding: 'utf8', timeout, killSignal: 'SIGKILL', env: { ...process.env, FLM_MAXRSS_FILE: file },
  });
  const seconds = (performance.now() - t0) / 1000;
  const usage = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { maxRss: number; cpuSeconds: number }) : { maxRss: NaN, cpuSeconds: NaN };
  return { ...r, seconds, ...usage };
}

/** `flm <args>` in the background: its exit code, signal and output when it ends. */
export function flmAsync(args: string[]) {
  const child = spawn('node', [...NODE_ARGS, ...args], { cwd: root });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) => {
    child.on('close', (status, signal) => res({ status, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

/** Wait until a resumed run in the background has started training ("resuming from" on its stderr). */
export async function untilTraining(stderr: () => string, timeout = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!/resuming from/.test(stderr())) {
    if (Date.now() - t0 > timeout) throw new Error(`the run did not start within ${timeout / 1000} s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const tempDir = (tag: string) => mkdtempSync(join(tmpdir(), `flm-${tag}-`));

const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far'];
export const TINY_TEXT = Array.from({ length: 600 }, (_, i) => WORDS[(i * 7 + (i % 3)) % WORDS.length]).join(' ') + '\n';
export const TINY_TOKENIZER = CharTokenizer.fromText(TINY_TEXT);
export const TINY_SHAPE = { length: 16, hidden: 16, heads: 2, blocks: 1, cond: 8 };

export function tinyConfig(kind: ModelKind, over: Partial<DiTConfig> = {}): DiTConfig {
  const twoTime = kind === 'flowmap' || kind === 'fmlm';
  return defaultConfig({
    vocab: TINY_TOKENIZER.vocabSize, ...TINY_SHAPE, twoTime, lossWeighting: kind === 'flowmap',
    ...(kind === 'judge' ? { causal: true } : {}), ...over,
  });
}

/** A tiny checkpoint of `kind` (random weights, the tiny tokenizer and run settings). */
export function tinyCheckpoint(kind: ModelKind, o: { seed?: number; meta?: Partial<CheckpointMeta>; config?: Partial<DiTConfig> } = {}): Checkpoint {
  const config = tinyConfig(kind, o.config);
  return {
    config, params: randomArray(paramLayout(config).total, o.seed ?? 1, 0.2),
    meta: {
      format: 'flm-studio', version: META_VERSION, kind, name: `tiny ${kind}`, createdAt: new Date(0).toISOString(), step: 0,
      tokenizer: TINY_TOKENIZER.toJSON(),
      train: { ...presetTrain('micro', 10), batch: 2, evalEvery: 0, evalBatches: 1, warmup: 0 },
      ...(o.meta ?? {}),
    },
  };
}

/**
 * A folder with `corpus.txt` (the tiny text) and `flm.safetensors` (a tiny
 * FLM that records that text's digest): `flm train --resume` continues it.
 */
export async function tinySetup(tag: string): Promise<{ dir: string; corpus: string; model: string; p: (x: string) => string; ckpt: Checkpoint }> {
  const dir = tempDir(tag);
  const p = (x: string) => join(dir, x);
  writeFileSync(p('corpus.txt'), TINY_TEXT);
  const ckpt = tinyCheckpoint('flm', { meta: { data: { corpus: { kind: 'text', name: 'corpus.txt' }, sha256: await corpusDigest(TINY_TEXT) } } });
  writeFileSync(p('flm.safetensors'), encodeCheckpoint(ckpt));
  return { dir, corpus: p('corpus.txt'), model: p('flm.safetensors'), p, ckpt };
}

/** Options of a quick CPU run. */
export const QUICK = ['--backend', 'cpu', '--eval-every', '0'];
