/**
 * The FLM DiT (docs spec, section 3) and one FLM training step (section 4)
 * written by hand in TensorFlow.js core ops, for `npm run bench:peers`: the
 * peer the studio's trainer is measured against. Parameters carry the
 * official state_dict names and shapes (nn.Linear weights [out, in]), with
 * the reference initialisation; `load` takes weights by those names, so the
 * page can check its logits against the studio's on the same weights.
 *
 * Backend-agnostic (tfjs-core only): the page picks wasm, webgpu or cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the core ops (tf.variableGrads needs them; tfjs-core alone does not register them).
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export interface TfDiTConfig {
  vocab: number; length: number; hidden: number; heads: number; blocks: number; cond: number;
  mlpRatio: number; softcap: number;
}

export interface TfTrainConfig {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  /** Global gradient-norm clip. */
  clip: number;
  /** EMA decay of the weights (the studio's schedule: min(decay, (1+step)/(10+step))). */
  emaDecay: number;
}

const TIME_FEATURES = 256, LN_EPS = 1e-5;

/** Parameter shapes and initialisations by official name, in the reference's order. */
export function tfDiTShapes(c: TfDiTConfig): { name: string; shape: number[]; init: 'ones' | 'zeros' | number }[] {
  const { vocab: V, hidden: D, cond: C } = c, F = c.mlpRatio * D;
  const out: { name: string; shape: number[]; init: 'ones' | 'zeros' | number }[] = [];
  const lin = (name: string, o: number, i: number, bias: boolean, zero = false) => {
    out.push({ name: `${name}.weight`, shape: [o, i], init: zero ? 'zeros' : 1 / Math.sqrt(i) });
    if (bias) out.push({ name: `${name}.bias`, shape: [o], init: zero ? 'zeros' : 1 / Math.sqrt(i) });
  };
  out.push({ name: 'vocab_embed.embedding', shape: [V, D], init: 1 / Math.sqrt(D) });
  lin('sigma_map.mlp.0', C, TIME_FEATURES, true);
  lin('sigma_map.mlp.2', C, C, true);
  for (let i = 0; i < c.blocks; i++) {
    const b = `blocks.${i}`;
    out.push({ name: `${b}.norm1.weight`, shape: [D], init: 'ones' });
    lin(`${b}.attn_qkv`, 3 * D, D, false);
    lin(`${b}.attn_out`, D, D, false);
    out.push({ name: `${b}.norm2.weight`, shape: [D], init: 'ones' });
    lin(`${b}.mlp.0`, F, D, true);
    lin(`${b}.mlp.2`, D, F, true);
    lin(`${b}.adaLN_modulation`, 6 * D, C, true, true);
  }
  out.push({ name: 'output_layer.norm_final.weight', shape: [D], init: 'ones' });
  lin('output_layer.linear', V, D, true, true);
  lin('output_layer.adaLN_modulation', 2 * D, C, true, true);
  return out;
}

let instances = 0;

export class TfDiT {
  /** Trainable weights by official name. */
  readonly params = new Map<string, tf.Variable>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly ema = new Map<string, tf.Variable>();
  private readonly rotCos: tf.Tensor2D;
  private readonly rotSin: tf.Tensor2D;
  private readonly freqs: tf.Tensor2D;
  step = 0;

  constructor(readonly cfg: TfDiTConfig, seed = 0) {
    const id = instances++;
    let s = (seed * 2654435761 + 1) >>> 0;
    const rand = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
    for (const p of tfDiTShapes(cfg)) {
      const n = p.shape.reduce((a, b) => a * b, 1), data = new Float32Array(n);
      if (p.init === 'ones') data.fill(1);
      else if (typeof p.init === 'number') for (let i = 0; i < n; i++) data[i] = (2 * rand() - 1) * p.init;
      const mk = (what: string, d: Float32Array, trainable: boolean) => tf.variable(tf.tensor(d, p.shape), trainable, `tfdit${id}/${what}/${p.name}`);
      this.params.set(p.name, mk('w', data, true));
      this.m.set(p.name, mk('m', new Float32Array(n), false));
      this.v.set(p.name, mk('v', new Float32Array(n), false));
      this.ema.set(p.name, mk('ema', data, false));
    }
    // Rotary tables [L, d/2] (NeoX halves) and the time-feature frequencies [1, 128].
    const d = cfg.hidden / cfg.heads, half = d / 2, L = cfg.length;
    const cos = new Float32Array(L * half), sin = new Float32Array(L * half);
    for (let p = 0; p < L; p++) for (let i = 0; i < half; i++) {
      const a = p / Math.pow(10000, (2 * i) / d);
      cos[p * half + i] = Math.cos(a); sin[p * half + i] = Math.sin(a);
    }
    this.rotCos = tf.keep(tf.tensor2d(cos, [L, half]));
    this.rotSin = tf.keep(tf.tensor2d(sin, [L, half]));
    const w = new Float32Array(TIME_FEATURES / 2);
    for (let i = 0; i < w.length; i++) w[i] = Math.exp((-Math.log(10000) * i) / w.length);
    this.freqs = tf.keep(tf.tensor2d(w, [1, w.length]));
  }

  /** Parameters proper (the studio counts the same: no buffers, no padding). */
  get parameterCount(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  /** Overwrite weights (and their EMA) by official name. */
  load(weights: Map<string, Float32Array>): void {
    for (const [name, p] of this.params) {
      const w = weights.get(name);
      if (!w) throw new Error(`tfjs DiT: no weights for ${name}`);
      p.assign(tf.tensor(w, p.shape));
      this.ema.get(name)!.assign(tf.tensor(w, p.shape));
    }
  }

  private w(name: string): tf.Tensor {
    return this.params.get(name)!;
  }

  /** y = x·Wᵀ (+ b), nn.Linear on the last axis of a 2-D x. */
  private linear(x: tf.Tensor2D, name: string, bias = true): tf.Tensor2D {
    const y = tf.matMul(x, this.w(`${name}.weight`) as tf.Tensor2D, false, true) as tf.Tensor2D;
    return bias ? (tf.add(y, this.w(`${name}.bias`)) as tf.Tensor2D) : y;
  }

  /** LayerNorm without bias over the last axis, times `norm` weight. */
  private layerNorm(h: tf.Tensor3D, norm: string): tf.Tensor3D {
    const { mean, variance } = tf.moments(h, -1, true);
    return tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, LN_EPS))), this.w(norm));
  }

  private timeEmbed(t: tf.Tensor1D): tf.Tensor2D {
    const arg = tf.mul(tf.reshape(t, [-1, 1]), this.freqs) as tf.Tensor2D;
    const f = tf.concat([tf.cos(arg), tf.sin(arg)], 1);
    const u = this.linear(f, 'sigma_map.mlp.0');
    return this.linear(tf.mul(u, tf.sigmoid(u)) as tf.Tensor2D, 'sigma_map.mlp.2');
  }

  private rope(x: tf.Tensor4D): tf.Tensor4D {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    return tf.concat([
      tf.sub(tf.mul(x1, this.rotCos), tf.mul(x2, this.rotSin)),
      tf.add(tf.mul(x1, this.rotSin), tf.mul(x2, this.rotCos)),
    ], 3) as tf.Tensor4D;
  }

  /** [B·L, D] → [B, H, L, d]. */
  private heads(x: tf.Tensor2D, B: number): tf.Tensor4D {
    const { length: L, heads: H, hidden: D } = this.cfg;
    return tf.transpose(tf.reshape(x, [B, L, H, D / H]), [0, 2, 1, 3]);
  }

  /** Logits [B·L, V] of noisy inputs x [B, L, V] at times t [B]. */
  forward(x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor2D {
    const { length: L, vocab: V, hidden: D, heads: H, softcap } = this.cfg, B = x.shape[0], d = D / H;
    const emb = this.timeEmbed(t);
    const c = tf.mul(emb, tf.sigmoid(emb)) as tf.Tensor2D;
    let h = tf.reshape(tf.matMul(tf.reshape(x, [B * L, V]), this.w('vocab_embed.embedding') as tf.Tensor2D), [B, L, D]) as tf.Tensor3D;
    const modulate = (a: tf.Tensor3D, shift: tf.Tensor, scale: tf.Tensor) => tf.add(tf.mul(a, tf.add(scale, 1)), shift) as tf.Tensor3D;
    for (let i = 0; i < this.cfg.blocks; i++) {
      const b = `blocks.${i}`;
      const mod = tf.split(tf.reshape(this.linear(c, `${b}.adaLN_modulation`), [B, 1, 6 * D]), 6, 2);
      const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = mod;
      const a = tf.reshape(modulate(this.layerNorm(h, `${b}.norm1.weight`), shiftMsa, scaleMsa), [B * L, D]) as tf.Tensor2D;
      const [q, k, v] = tf.split(this.linear(a, `${b}.attn_qkv`, false), 3, 1).map((z) => this.heads(z as tf.Tensor2D, B));
      let s = tf.mul(tf.matMul(this.rope(q), this.rope(k), false, true), 1 / Math.sqrt(d));
      if (softcap > 0) s = tf.mul(tf.tanh(tf.mul(s, 1 / softcap)), softcap);
      const o = tf.matMul(tf.softmax(s), v);
      const att = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * L, D]) as tf.Tensor2D;
      h = tf.add(h, tf.mul(gateMsa, tf.reshape(this.linear(att, `${b}.attn_out`, false), [B, L, D])));
      const m = tf.reshape(modulate(this.layerNorm(h, `${b}.norm2.weight`), shiftMlp, scaleMlp), [B * L, D]) as tf.Tensor2D;
      const u = this.linear(m, `${b}.mlp.0`);
      // GELU, tanh approximation.
      const g = tf.mul(tf.mul(u, 0.5), tf.add(tf.tanh(tf.mul(tf.add(u, tf.mul(tf.pow(u, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
      h = tf.add(h, tf.mul(gateMlp, tf.reshape(this.linear(g as tf.Tensor2D, `${b}.mlp.2`), [B, L, D])));
    }
    const [shift, scale] = tf.split(tf.reshape(this.linear(c, 'output_layer.adaLN_modulation'), [B, 1, 2 * D]), 2, 2);
    const out = tf.reshape(modulate(this.layerNorm(h, 'output_layer.norm_final.weight'), shift, scale), [B * L, D]) as tf.Tensor2D;
    return this.linear(out, 'output_layer.linear');
  }

  /** Mean cross-entropy per token of the clean tokens `targets` [B, L]. */
  loss(x: tf.Tensor3D, t: tf.Tensor1D, targets: tf.Tensor2D): tf.Scalar {
    const V = this.cfg.vocab;
    const logp = tf.logSoftmax(this.forward(x, t));
    const y = tf.oneHot(tf.reshape(targets, [-1]), V);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, y), 1))) as tf.Scalar;
  }

  /**
   * One FLM training step (spec section 4): noise x_γ = (1−γ)ε + γ·onehot,
   * forward, cross-entropy, backward, global-norm clipping, AdamW and the
   * EMA. `tokens` [B·L], `t` and `gamma` [B] come from the host. Returns the
   * loss (a tensor the caller reads and disposes).
   */
  trainStep(tokens: Int32Array, t: Float32Array, gamma: Float32Array, train: TfTrainConfig): tf.Scalar {
    const { length: L, vocab: V } = this.cfg, B = t.length;
    this.step++;
    const step = this.step;
    return tf.tidy(() => {
      const targets = tf.tensor2d(tokens, [B, L], 'int32');
      const g = tf.reshape(tf.tensor1d(gamma), [B, 1, 1]);
      const eps = tf.randomNormal([B, L, V], 0, 1, 'float32', step);
      const x = tf.add(tf.mul(tf.sub(1, g), eps), tf.mul(g, tf.oneHot(targets, V))) as tf.Tensor3D;
      const tt = tf.tensor1d(t);
      const vars = [...this.params.values()];
      const { value, grads } = tf.variableGrads(() => this.loss(x, tt, targets), vars);
      let sq: tf.Tensor = tf.scalar(0);
      for (const gr of Object.values(grads)) sq = tf.add(sq, tf.sum(tf.square(gr)));
      const clip = tf.minimum(1, tf.div(train.clip, tf.add(tf.sqrt(sq), 1e-6)));
      const bc1 = 1 - train.beta1 ** step, bc2 = 1 - train.beta2 ** step;
      const decay = Math.min(train.emaDecay, (1 + step - 1) / (10 + step - 1));
      for (const [name, p] of this.params) {
        const gr = tf.mul(grads[p.name], clip);
        const m = this.m.get(name)!, v = this.v.get(name)!, e = this.ema.get(name)!;
        const m1 = tf.add(tf.mul(m, train.beta1), tf.mul(gr, 1 - train.beta1));
        const v1 = tf.add(tf.mul(v, train.beta2), tf.mul(tf.square(gr), 1 - train.beta2));
        const upd = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), train.eps));
        const p1 = tf.sub(p, tf.mul(tf.add(upd, tf.mul(p, train.weightDecay)), train.lr));
        m.assign(m1); v.assign(v1); p.assign(p1);
        e.assign(tf.add(tf.mul(e, decay), tf.mul(p1, 1 - decay)));
      }
      return value;
    });
  }

  dispose(): void {
    for (const map of [this.params, this.m, this.v, this.ema]) for (const x of map.values()) x.dispose();
    this.rotCos.dispose(); this.rotSin.dispose(); this.freqs.dispose();
  }
}
