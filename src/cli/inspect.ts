/**
 * `flm inspect <file>`: a summary of a checkpoint (a studio or official
 * `.safetensors`, an official Lightning `.ckpt`, or any valid safetensors
 * file), or the reason it is unreadable as one line (exit 2).
 */
import { readFileSync } from 'node:fs';
import { readSafetensors, SafetensorsError } from '../io/safetensors.ts';
import { paramLayout } from '../model/layout.ts';
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
    return listTensors(path, e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message);
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
    const meta = readSafetensors(new Uint8Array(readFileSync(path))).metadata;
    const origin = Object.entries(meta).filter(([k]) => OFFICIAL_META.test(k));
    if (origin.length) lines.push(`converted from an official checkpoint: ${origin.map(([k, v]) => `${k.replace(OFFICIAL_META, '')} ${v}`).join(', ')}`);
  }
  return lines;
}

/** A valid safetensors file that is not a model checkpoint (a fixture, say): list what is in it. */
function listTensors(path: string, why: string): string[] {
  let file;
  try {
    file = readSafetensors(new Uint8Array(readFileSync(path)));
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InspectError(`${path}: ${e.message}`);
    throw e;
  }
  const lines = [`${path}: ${file.tensors.size} tensors`, `not a FLM checkpoint (${why})`];
  for (const [name, t] of [...file.tensors.entries()].slice(0, 20)) lines.push(`  ${name}: ${t.dtype} [${t.shape.join(', ')}]`);
  if (file.tensors.size > 20) lines.push(`  … and ${file.tensors.size - 20} more`);
  return lines;
}
