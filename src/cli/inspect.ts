/**
 * `flm inspect <file>`: a summary of a checkpoint (a studio or official
 * `.safetensors`, an official Lightning `.ckpt`), or of a valid safetensors
 * file that is no model (a parity fixture: its tensors are listed), or the
 * reason it is unreadable as one line (exit 2). A health check: a file that
 * claims to be a model (FLM Studio metadata, or any tensor named as a model
 * weight) and does not load — non-finite values, a missing, renamed or
 * misshapen tensor, damaged metadata — exits 2.
 */
import { closeSync } from 'node:fs';
import { INV_FREQ, MAX_CHECKPOINT_BYTES, META_KEY } from '../io/checkpoint.ts';
import { readSafetensors, SafetensorsError, type StFile } from '../io/safetensors.ts';
import { defaultConfig } from '../model/config.ts';
import { paramLayout } from '../model/layout.ts';
import { openRegular, readExactly, readRegular, RefusedError } from './files.ts';
import { loadModelFile, ModelFileError, officialLines } from './modelFile.ts';

export class InspectError extends Error {}

/** Metadata keys `flm convert` adds to a converted official checkpoint. */
const OFFICIAL_META = /^official_/;

export function inspectFile(path: string): string[] {
  let loaded;
  try {
    loaded = loadModelFile(path);
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw e;
    if (!e.notACheckpoint) throw new InspectError(e.message);
    return listTensors(path, e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message, e.message);
  }
  const c = loaded.checkpoint;
  const cfg = c.config;
  const lines = [
    `${path}: ${(loaded.size / 2 ** 20).toFixed(2)} MB, ${loaded.format === 'ckpt' ? 'PyTorch Lightning .ckpt' : 'safetensors'}`,
    `${loaded.format === 'ckpt' ? 'imported as' : 'FLM Studio checkpoint:'} kind ${c.meta.kind}, "${c.meta.name}", step ${c.meta.step}, created ${c.meta.createdAt}`,
    `model: V ${cfg.vocab}, L ${cfg.length}, D ${cfg.hidden}, ${cfg.heads} heads, ${cfg.blocks} blocks, C ${cfg.cond}` +
      `${cfg.twoTime ? ', two-time' : ''}${cfg.lossWeighting ? ', loss weighting' : ''}${cfg.causal ? ', causal attention' : ''}; ${paramLayout(cfg).count.toLocaleString()} parameters`,
    ...(c.meta.kind === 'judge' ? ['autoregressive judge: causal DiT without time conditioning (t = 0), next-token NLL; scores samples in `flm eval`'] : []),
    `contains: weights${c.ema ? ', EMA' : ''}${c.adamM ? ', Adam moments' : ''}` +
      `${c.meta.tokenizer ? `, ${(c.meta.tokenizer as { type?: string }).type ?? ''} tokenizer` : ''}` +
      `${c.meta.lossHistory?.length ? `, loss history (${c.meta.lossHistory.length} steps, last loss ${c.meta.lossHistory[c.meta.lossHistory.length - 1].loss.toFixed(4)})` : ''}`,
  ];
  if (loaded.official) lines.push(...officialLines(loaded.official));
  else if (loaded.format === 'safetensors') {
    // A checkpoint converted from an official .ckpt says where it came from.
    const origin = Object.entries(headerMetadata(path)).filter(([k]) => OFFICIAL_META.test(k));
    if (origin.length) lines.push(`converted from an official checkpoint: ${origin.map(([k, v]) => `${k.replace(OFFICIAL_META, '')} ${v}`).join(', ')}`);
  }
  return lines;
}

/** The `__metadata__` of a safetensors file that loaded: its header alone is read. */
function headerMetadata(path: string): Record<string, string> {
  const f = openRegular(path, 'checkpoint', MAX_CHECKPOINT_BYTES);
  try {
    const n = Number(new DataView(readExactly(f.fd, 8).buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(readExactly(f.fd, n, 8))) as { __metadata__?: Record<string, string> };
    return header.__metadata__ ?? {};
  } finally {
    closeSync(f.fd);
  }
}

/** Names of model weights, whatever the config: blocks numbered `#`, any group prefix removed. */
const WEIGHT_NAMES = new Set([
  ...paramLayout(defaultConfig({ vocab: 2, blocks: 1, twoTime: true, lossWeighting: true })).specs.map((s) => s.name.replace(/^blocks\.\d+\./, 'blocks.#.')),
  INV_FREQ,
]);

/** Whether a safetensors file claims to be a model: FLM Studio metadata, or a tensor named as a weight. */
function claimsModel(file: StFile): boolean {
  if (file.metadata[META_KEY] !== undefined) return true;
  for (const name of file.tensors.keys()) {
    const bare = name.replace(/^(ema\.|optim\.[mv]\.)/, '').replace(/^blocks\.\d+\./, 'blocks.#.');
    if (WEIGHT_NAMES.has(bare)) return true;
  }
  return false;
}

/**
 * A valid safetensors file that did not load as a checkpoint: listed when it
 * is no model (a fixture, say); a damaged model is an InspectError (exit 2).
 */
function listTensors(path: string, why: string, message: string): string[] {
  let file;
  try {
    file = readSafetensors(readRegular(path, 'file', MAX_CHECKPOINT_BYTES));
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InspectError(`${path}: ${e.message}`);
    if (e instanceof RefusedError) throw new InspectError(e.message);
    throw e;
  }
  if (claimsModel(file)) throw new InspectError(message);
  const lines = [`${path}: ${file.tensors.size} tensors`, `not a FLM checkpoint (${why})`];
  for (const [name, t] of [...file.tensors.entries()].slice(0, 20)) lines.push(`  ${name}: ${t.dtype} [${t.shape.join(', ')}]`);
  if (file.tensors.size > 20) lines.push(`  … and ${file.tensors.size - 20} more`);
  return lines;
}
