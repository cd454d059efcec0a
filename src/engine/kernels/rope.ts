import body from '../../../shaders/rope.wgsl?raw';
import type { AttentionParams, Tensor } from '../backend.ts';
import { ropeInvFreq } from '../host/rope.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('rope', body, ['grid', 'math']);
const ROPE_FORWARD = SHADER.entry('rope_forward', ['qkv', 'q', 'k', 'v']);
const ROPE_BACKWARD = SHADER.entry('rope_backward', ['dq', 'dk', 'dv', 'dqkv']);
const MAX_HALF = 64;

const uniformCache = new Map<string, Uint8Array>();

/** [B, L, H, d] then the 64-slot inv_freq table (exactly the reference's f32 values). */
function uniforms(p: AttentionParams): Uint8Array {
  const { batch: B, length: L, heads: H, headDim: d } = p;
  if (d % 2 !== 0 || d < 2 || d / 2 > MAX_HALF) throw new RangeError(`rope: headDim ${d} must be even and ≤ ${2 * MAX_HALF}`);
  const key = `${B},${L},${H},${d}`;
  let u = uniformCache.get(key);
  if (!u) {
    const inv = new Array<number>(MAX_HALF).fill(0);
    ropeInvFreq(d).forEach((f, i) => { inv[i] = f; });
    u = packUniforms([B, L, H, d], inv);
    if (uniformCache.size > 64) uniformCache.clear();
    uniformCache.set(key, u);
  }
  return u;
}

/** qkv [B, L, 3D] → q, k (NeoX-rotated), v in [B, H, L, d]. One dispatch. */
export function rope(ctx: GpuContext, q: Tensor, k: Tensor, v: Tensor, qkv: Tensor, p: AttentionParams): void {
  const n = p.batch * p.heads * p.length * p.headDim;
  ctx.dispatch(ROPE_FORWARD, {}, { qkv, q, k, v }, uniforms(p), elementGrid(ctx, n));
}

/** dqkv [B, L, 3D] from dq, dk, dv [B, H, L, d]: the transpose of `rope`. One dispatch. */
export function ropeBackward(ctx: GpuContext, dqkv: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, p: AttentionParams): void {
  const n = p.batch * p.length * 3 * p.heads * p.headDim;
  ctx.dispatch(ROPE_BACKWARD, {}, { dq, dk, dv, dqkv }, uniforms(p), elementGrid(ctx, n));
}
