/**
 * `flm inspect <file>`: a summary of a checkpoint (or of any valid
 * safetensors file), or the reason it is unreadable as one line (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { CheckpointError, decodeCheckpoint } from '../io/checkpoint.ts';
import { readSafetensors, SafetensorsError } from '../io/safetensors.ts';
import { paramLayout } from '../model/layout.ts';

export class InspectError extends Error {}

export function inspectFile(path: string): string[] {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InspectError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const size = statSync(path).size;
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InspectError(`${path}: ${e.message}`);
    throw e;
  }
  const lines = [`${path}: ${(size / 2 ** 20).toFixed(2)} MB, ${file.tensors.size} tensors`];
  try {
    const c = decodeCheckpoint(bytes);
    const cfg = c.config;
    lines.push(
      `FLM Studio checkpoint: kind ${c.meta.kind}, "${c.meta.name}", step ${c.meta.step}, created ${c.meta.createdAt}`,
      `model: V ${cfg.vocab}, L ${cfg.length}, D ${cfg.hidden}, ${cfg.heads} heads, ${cfg.blocks} blocks, C ${cfg.cond}` +
        `${cfg.twoTime ? ', two-time' : ''}${cfg.lossWeighting ? ', loss weighting' : ''}${cfg.causal ? ', causal attention' : ''}; ${paramLayout(cfg).count.toLocaleString()} parameters`,
      ...(c.meta.kind === 'judge' ? ['autoregressive judge: causal DiT without time conditioning (t = 0), next-token NLL; scores samples in `flm eval`'] : []),
      `contains: weights${c.ema ? ', EMA' : ''}${c.adamM ? ', Adam moments' : ''}` +
        `${c.meta.tokenizer ? `, ${(c.meta.tokenizer as { type?: string }).type ?? ''} tokenizer` : ''}` +
        `${c.meta.lossHistory?.length ? `, loss history (${c.meta.lossHistory.length} steps, last loss ${c.meta.lossHistory[c.meta.lossHistory.length - 1].loss.toFixed(4)})` : ''}`,
    );
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    // A valid safetensors file that is not a model checkpoint (a fixture, say): list what is in it.
    lines.push(`not a FLM checkpoint (${e.message})`);
    for (const [name, t] of [...file.tensors.entries()].slice(0, 20)) lines.push(`  ${name}: ${t.dtype} [${t.shape.join(', ')}]`);
    if (file.tensors.size > 20) lines.push(`  … and ${file.tensors.size - 20} more`);
  }
  return lines;
}
