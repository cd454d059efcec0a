import forwardBody from '../../../shaders/attention.wgsl?raw';
import backwardBody from '../../../shaders/attention_backward.wgsl?raw';
import type { AttentionBackwardTensors, AttentionParams, AttentionTensors, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { Shader, workgroupGrid } from './kernel.ts';

const FORWARD = new Shader('attention', forwardBody, ['grid', 'math']);
const BACKWARD = new Shader('attention_backward', backwardBody, ['grid', 'math']);
const ATTENTION_FORWARD = FORWARD.entry('attention_forward', ['q', 'k', 'v', 'o', 'att']);
const ATTENTION_BACKWARD_ROWS = BACKWARD.entry('attention_backward_rows', ['dout', 'att', 'q', 'k', 'v', 'o', 'scratch', 'dq']);
// dR: the rows pass's scratch.
const ATTENTION_BACKWARD_COLS = BACKWARD.entry('attention_backward_cols', ['dout', 'att', 'q', 'dR', 'dk', 'dv']);

/** Queries (forward, backward rows) or keys (backward cols) per workgroup; fixed in the WGSL. */
const BLOCK = 64;
const MAX_HEAD_DIM = 128;
/** Workgroup bytes for the two staged [KT × d] tiles plus the padded [64 × (KT+1)] score tile. */
const TILE_BUDGET = 12800;

/** Keys (or queries) per staged tile: 2·KT·d·4 + 64·(KT+1)·4 ≤ TILE_BUDGET, at most 32. */
function attentionTile(headDim: number): number {
  return Math.max(1, Math.min(32, Math.floor((TILE_BUDGET - 256) / (8 * headDim + 256))));
}

function setup(ctx: GpuContext, p: AttentionParams): { constants: Record<string, number>; uniforms: Uint8Array; workgroups: [number, number, number] } {
  const { batch: B, length: L, heads: H, headDim: d, softcap } = p;
  if (d < 1 || d > MAX_HEAD_DIM) throw new RangeError(`attention: headDim ${d} outside [1, ${MAX_HEAD_DIM}]`);
  const nblk = Math.ceil(L / BLOCK);
  const groups = B * H * nblk;
  return {
    constants: { HEAD_DIM: d, KT: attentionTile(d), CAUSAL: p.causal ? 1 : 0 },
    uniforms: packUniforms([L, H, nblk, groups], [1 / Math.sqrt(d), softcap > 0 ? softcap : 0]),
    workgroups: workgroupGrid(ctx, groups),
  };
}

/** o [B, L, D], att [B, H, L, L] = softmax probabilities. One dispatch. */
export function attention(ctx: GpuContext, { o, att, q, k, v }: AttentionTensors, p: AttentionParams): void {
  if (p.batch * p.heads * p.length === 0) return;
  const s = setup(ctx, p);
  ctx.dispatch(ATTENTION_FORWARD, s.constants, { q, k, v, o, att }, s.uniforms, s.workgroups);
}

/** dq, dk, dv [B, H, L, d]; scratch [B, H, L, L] receives dR. Two dispatches (rows, then columns). */
export function attentionBackward(
  ctx: GpuContext, { dq, dk, dv, scratch, dout, att, q, k, v, o }: AttentionBackwardTensors, p: AttentionParams,
): void {
  if (p.batch * p.heads * p.length === 0) return;
  const s = setup(ctx, p);
  ctx.dispatch(ATTENTION_BACKWARD_ROWS, s.constants, { dout, att, q, k, v, o, scratch, dq }, s.uniforms, s.workgroups);
  ctx.dispatch(ATTENTION_BACKWARD_COLS, s.constants, { dout, att, q, dR: scratch, dk, dv }, s.uniforms, s.workgroups);
}
