/**
 * Parity against the official implementation's golden fixtures: load a
 * `dit_*.safetensors` case (weights `param.*`, inputs `xt`, `t`, `t_prime`,
 * `x0`), run forward and backward on a backend, and report the relative L2
 * error of logits, losses and every gradient. Any model shape works: it is
 * read from the file's `__metadata__` and tensor shapes.
 */
import type { Backend, BackendName } from '../engine/backend.ts';
import { checkInvFreq, layoutWeights } from '../io/checkpoint.ts';
import { readSafetensors, toFloat32, type StFile } from '../io/safetensors.ts';
import { configFromMetadata, type DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import type { ParamLayout } from '../model/layout.ts';

export interface ParityTolerances { logits: number; loss: number; grads: number }

export const TOLERANCES: Record<BackendName, ParityTolerances> = {
  cpu: { logits: 1e-5, loss: 1e-5, grads: 1e-4 },
  wasm: { logits: 1e-5, loss: 1e-5, grads: 1e-4 },
  webgpu: { logits: 1e-4, loss: 1e-4, grads: 1e-3 },
};

export interface ParityRow { name: string; kind: 'logits' | 'loss' | 'grads'; relErr: number }

export interface DitParityResult {
  file: string;
  config: DiTConfig;
  batch: number;
  rows: ParityRow[];
  max: { logits: number; loss: number; grads: number };
  ms: number;
}

export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  if (!Number.isFinite(num)) return Infinity;
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Recognises a DiT fixture: has param.*, xt, t, x0 and a config in metadata. */
export function isDitFixture(f: StFile): boolean {
  return f.tensors.has('xt') && f.tensors.has('t') && f.tensors.has('x0') && f.metadata.hidden_size !== undefined;
}

export function configOfFixture(f: StFile): DiTConfig {
  const meta = { ...f.metadata };
  // The fixtures' models use the reference softcap; a fixture may name another.
  return configFromMetadata(meta);
}

/** A fixture's `param.*` tensors as one flat array in `layout` (the rotary buffer, when present, is checked). */
export function fixtureParams(layout: ParamLayout, cfg: DiTConfig, f: StFile, prefix = 'param.'): Float32Array {
  const flat = layoutWeights(f, layout, prefix);
  const inv = f.tensors.get(prefix + 'rotary_emb.inv_freq');
  if (inv) checkInvFreq(prefix + 'rotary_emb.inv_freq', inv, cfg.hidden / cfg.heads);
  return flat;
}

export function loadParams(model: DiT, f: StFile, prefix = 'param.'): void {
  model.backend.write(model.params, fixtureParams(model.layout, model.cfg, f, prefix));
}

export async function runDitParity(backend: Backend, bytes: Uint8Array, file = 'fixture'): Promise<DitParityResult> {
  const f = readSafetensors(bytes);
  const cfg = configOfFixture(f);
  const xt = f.tensors.get('xt')!;
  const batch = xt.shape[0];
  const model = new DiT(backend, cfg, batch);
  loadParams(model, f);
  backend.write(model.x, toFloat32(xt));
  backend.write(model.t, toFloat32(f.tensors.get('t')!));
  if (model.tPrime) {
    const tp = f.tensors.get('t_prime');
    if (!tp) throw new Error('two-time fixture without t_prime');
    backend.write(model.tPrime, toFloat32(tp));
  }
  backend.write(model.targets, Uint32Array.from(toFloat32(f.tensors.get('x0')!)));
  const t0 = performance.now();
  const program = backend.compile(() => {
    model.forward();
    model.crossEntropyLoss();
    model.backward();
  });
  program.run();
  await backend.sync();
  const ms = performance.now() - t0;
  const rows: ParityRow[] = [];
  const want = (name: string) => toFloat32(f.tensors.get(name)!);
  rows.push({ name: 'logits', kind: 'logits', relErr: relL2(await backend.read(model.logits), want('logits')) });
  rows.push({ name: 'ce', kind: 'loss', relErr: relL2(await backend.read(model.ce), want('ce')) });
  rows.push({ name: 'per_token_loss', kind: 'loss', relErr: relL2(await backend.read(model.perToken), want('per_token_loss')) });
  rows.push({ name: 'loss', kind: 'loss', relErr: relL2(await backend.read(model.loss), want('loss')) });
  const grads = await backend.read(model.grads);
  for (const spec of model.layout.specs) {
    const g = f.tensors.get(`grad.${spec.name}`);
    if (!g) continue;
    rows.push({ name: `grad.${spec.name}`, kind: 'grads', relErr: relL2(grads.subarray(spec.offset, spec.offset + spec.size), toFloat32(g)) });
  }
  const max = { logits: 0, loss: 0, grads: 0 };
  for (const r of rows) max[r.kind] = Math.max(max[r.kind], Number.isNaN(r.relErr) ? Infinity : r.relErr);
  return { file, config: cfg, batch, rows, max, ms };
}
