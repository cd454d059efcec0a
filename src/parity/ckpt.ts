/**
 * Parity for the official trainer's Lightning checkpoints: a `X.ckpt` with
 * its `X.expected.safetensors` (inputs `xt` [B,L,V], `t` [B], `t_prime` for a
 * two-time model, and the official model's `logits` [B,L,V] with the weights
 * a sampler uses, the EMA). The checkpoint is imported by the studio's own
 * reader (src/io/ckpt), the forward runs on a backend, the logits are
 * compared by relative L2 error.
 */
import type { Backend } from '../engine/backend.ts';
import { readLightningCkpt, type LightningInfo } from '../io/ckpt/index.ts';
import { readSafetensors, toFloat32, type StFile } from '../io/safetensors.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { uploadWeights } from '../model/weights.ts';
import { relL2 } from './dit.ts';

/** The expected-output file of a `.ckpt`: `X.ckpt` → `X.expected.safetensors`. */
export const expectedFileOf = (ckptName: string): string => ckptName.replace(/\.ckpt$/, '.expected.safetensors');

/** Recognises an expected-output file: inputs and logits, no weights, no targets. */
export function isCkptExpected(f: StFile): boolean {
  return f.tensors.has('xt') && f.tensors.has('t') && f.tensors.has('logits') && !f.tensors.has('x0');
}

export interface CkptParityResult {
  file: string;
  config: DiTConfig;
  info: LightningInfo;
  batch: number;
  /** Which weights ran: 'ema' (the sampler's) or 'state_dict'. */
  weights: 'ema' | 'state_dict';
  relErr: number;
  ms: number;
}

/**
 * Import `ckpt`, run the forward on `expected`'s inputs with the weights a
 * sampler uses, and compare the logits. Throws (CkptError for the checkpoint,
 * Error for an expected file that does not fit it).
 */
export async function runCkptParity(backend: Backend, ckpt: Uint8Array, expected: Uint8Array, file = 'checkpoint.ckpt'): Promise<CkptParityResult> {
  const { checkpoint, info } = readLightningCkpt(ckpt, { name: file.replace(/\.ckpt$/, '') });
  const cfg = checkpoint.config;
  const f = readSafetensors(expected);
  if (!isCkptExpected(f)) throw new Error(`${expectedFileOf(file)} lacks xt, t or logits`);
  const xt = f.tensors.get('xt')!;
  const [batch, L, V] = xt.shape;
  if (xt.shape.length !== 3 || L !== cfg.length || V !== cfg.vocab) {
    throw new Error(`xt has shape [${xt.shape.join(', ')}], but the checkpoint's model takes [B, ${cfg.length}, ${cfg.vocab}]`);
  }
  const want = f.metadata.weights;
  if (want === 'ema' && !checkpoint.ema) throw new Error('the expected logits are the EMA weights\', but the checkpoint has no EMA');
  if (want !== undefined && want !== 'ema' && want !== 'state_dict') throw new Error(`the expected file names unknown weights ${JSON.stringify(want)}`);
  const tp = f.tensors.get('t_prime');
  if (cfg.twoTime !== (tp !== undefined)) throw new Error(cfg.twoTime ? 'a two-time model, but the expected file has no t_prime' : 'a one-time model, but the expected file has t_prime');

  const model = new DiT(backend, cfg, batch, { inference: true });
  try {
    const weights = want === 'state_dict' ? { params: checkpoint.params } : checkpoint;
    uploadWeights(backend, weights, model.params);
    backend.write(model.x, toFloat32(xt));
    backend.write(model.t, toFloat32(f.tensors.get('t')!));
    if (model.tPrime && tp) backend.write(model.tPrime, toFloat32(tp));
    const t0 = performance.now();
    const program = backend.compile(() => model.forward());
    program.run();
    await backend.sync();
    const ms = performance.now() - t0;
    const logits = await backend.read(model.logits);
    const relErr = relL2(logits, toFloat32(f.tensors.get('logits')!));
    return {
      file, config: cfg, info, batch, weights: want === 'state_dict' || !checkpoint.ema ? 'state_dict' : 'ema',
      relErr: Number.isNaN(relErr) ? Infinity : relErr, ms,
    };
  } finally {
    model.release();
  }
}
