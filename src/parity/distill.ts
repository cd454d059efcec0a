/**
 * Parity of both distillation losses with the official fixtures
 * (`distill_stage1.safetensors`, `distill_stage2.safetensors`): teacher f =
 * `dit_flm`'s weights, g = `dit_flowmap`'s, and the fixture's x0, noise, s, d
 * and γ's. Compares the intermediate states, the losses and the student's
 * gradients.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import { toFloat32, type StFile } from '../io/safetensors.ts';
import type { DiTConfig } from '../model/config.ts';
import type { DiT } from '../model/dit.ts';
import { paramLayout } from '../model/layout.ts';
import { configOfFixture, fixtureParams, relL2, type ParityRow } from './dit.ts';
import { Stage1Loss } from '../distill/stage1.ts';
import { Stage2Loss } from '../distill/stage2.ts';

export interface DistillParityResult { stage: 1 | 2; rows: ParityRow[]; max: { loss: number; grads: number } }

export const isDistillFixture = (f: StFile): 1 | 2 | null =>
  f.tensors.has('x_boot') && f.tensors.has('g_pred') ? 1 : f.tensors.has('F_target') ? 2 : null;

function weights(backend: Backend, cfg: DiTConfig, f: StFile, label: string): Tensor {
  const layout = paramLayout(cfg);
  const t = backend.tensor(layout.total, label);
  backend.write(t, fixtureParams(layout, cfg, f));
  return t;
}

const f32 = (f: StFile, name: string): Float32Array => {
  const t = f.tensors.get(name);
  if (!t) throw new Error(`the fixture has no tensor ${name}`);
  return toFloat32(t);
};

async function gradRows(model: DiT, f: StFile): Promise<ParityRow[]> {
  const grads = await model.backend.read(model.grads);
  const rows: ParityRow[] = [];
  for (const spec of model.layout.specs) {
    const g = f.tensors.get(`grad.${spec.name}`);
    if (g) rows.push({ name: `grad.${spec.name}`, kind: 'grads', relErr: relL2(grads.subarray(spec.offset, spec.offset + spec.size), toFloat32(g)) });
  }
  return rows;
}

function summarise(stage: 1 | 2, rows: ParityRow[]): DistillParityResult {
  const max = { loss: 0, grads: 0 };
  for (const r of rows) {
    const k = r.kind === 'grads' ? 'grads' : 'loss';
    max[k] = Math.max(max[k], Number.isNaN(r.relErr) ? Infinity : r.relErr);
  }
  return { stage, rows, max };
}

/** The (s, u, t) times and γ's of the fixture's batch (γ from the fixture: the exact time map). */
function times(stage1: StFile) {
  const s = f32(stage1, 's'), d = f32(stage1, 'd');
  return {
    s, u: s.map((x, i) => x + d[i] / 2), t: s.map((x, i) => x + d[i]),
    gs: f32(stage1, 'gamma_s'), gu: f32(stage1, 'gamma_mid'), gt: f32(stage1, 'gamma_end'),
  };
}

export async function runStage1Parity(backend: Backend, stage1: StFile, ditFlm: StFile, ditFlowmap: StFile): Promise<DistillParityResult> {
  const fCfg = configOfFixture(ditFlm), gCfg = configOfFixture(ditFlowmap);
  const x0 = stage1.tensors.get('x0')!;
  const B = x0.shape[0];
  const teacher = weights(backend, fCfg, ditFlm, 'teacher');
  const student = weights(backend, gCfg, ditFlowmap, 'student');
  const loss = new Stage1Loss(backend, fCfg, gCfg, B, teacher, student);
  try {
    loss.setBatch({ tokens: Uint32Array.from(toFloat32(x0)), ...times(stage1) });
    backend.write(loss.eps, f32(stage1, 'noise'));
    loss.compile().run();
    const rows: ParityRow[] = [];
    const cmp = async (name: string, t: Tensor) => rows.push({ name, kind: 'loss', relErr: relL2(await backend.read(t), f32(stage1, name)) });
    await cmp('x_s', loss.xs);
    await cmp('x_boot', loss.xboot);
    await cmp('g_pred', loss.g.logits);
    await cmp('raw_loss', loss.g.ce);
    await cmp('per_token_loss', loss.g.perToken);
    await cmp('loss', loss.g.loss);
    rows.push(...await gradRows(loss.g, stage1));
    return summarise(1, rows);
  } finally {
    loss.release();
    backend.release(teacher);
    backend.release(student);
  }
}

/** Stage 2 reads x_s, s, d and the γ's from the stage-1 fixture (the same batch). */
export async function runStage2Parity(
  backend: Backend, stage2: StFile, stage1: StFile, ditFlm: StFile, ditFlowmap: StFile,
): Promise<DistillParityResult> {
  const fCfg = configOfFixture(ditFlm), gCfg = configOfFixture(ditFlowmap);
  const sCfg = { ...gCfg };
  const B = stage1.tensors.get('x0')!.shape[0];
  const f = weights(backend, fCfg, ditFlm, 'teacher f');
  const g = weights(backend, gCfg, ditFlowmap, 'teacher g');
  const st = weights(backend, sCfg, stage2, 'student');
  const loss = new Stage2Loss(backend, fCfg, gCfg, sCfg, B, { f, g, student: st });
  try {
    const tm = times(stage1);
    loss.setBatch({ tokens: Uint32Array.from(toFloat32(stage1.tensors.get('x0')!)), s: tm.s, t: tm.t, gs: tm.gs, gt: tm.gt });
    backend.write(loss.xs, f32(stage1, 'x_s'));
    loss.compile({ noising: false }).run();
    const rows: ParityRow[] = [];
    const cmp = async (name: string, t: Tensor) => rows.push({ name, kind: 'loss', relErr: relL2(await backend.read(t), f32(stage2, name)) });
    await cmp('F_target', loss.F);
    await cmp('per_token_loss', loss.student.perToken);
    await cmp('loss', loss.student.loss);
    rows.push(...await gradRows(loss.student, stage2));
    return summarise(2, rows);
  } finally {
    loss.release();
    for (const t of [f, g, st]) backend.release(t);
  }
}
