/** Shape of a DiT backbone (spec section 3). Names follow the official code. */
export interface DiTConfig {
  /** V, vocabulary size (the width of the noisy one-hot input and the logits). */
  vocab: number;
  /** L, sequence length. */
  length: number;
  /** D, hidden size. */
  hidden: number;
  /** H, attention heads (head size D/H, even). */
  heads: number;
  /** Number of DiT blocks. */
  blocks: number;
  /** C, conditioning size. */
  cond: number;
  /** Two-time flow-map model: adds `sigma_map_prime` on t'. */
  twoTime: boolean;
  /** The optional learnable loss weighting head. */
  lossWeighting: boolean;
  /** Attention softcap c (scores → c·tanh(scores/c)); 0 disables it. */
  softcap: number;
  /** MLP expansion (hidden 4D in the reference). */
  mlpRatio: number;
  /**
   * Causal attention (query i sees keys j ≤ i): the autoregressive judge
   * (src/ar/). Absent or false for every FLM, flow map and FMLM.
   */
  causal?: boolean;
}

export const TIME_FEATURES = 256;
export const LOSS_WEIGHT_HIDDEN = 128;
export const LN_EPS = 1e-5;

export function defaultConfig(partial: Partial<DiTConfig> & Pick<DiTConfig, 'vocab'>): DiTConfig {
  return {
    length: 64, hidden: 64, heads: 4, blocks: 4, cond: 32,
    twoTime: false, lossWeighting: false, softcap: 50, mlpRatio: 4,
    ...partial,
  };
}

/**
 * The largest model shape FLM Studio accepts, checked before anything is
 * allocated: above the paper's largest models (OpenWebText: V = 50,258,
 * L = 1024, D = 768, 12 blocks) with room to spare, far below what a
 * crafted file may claim. Metadata cannot ask for impossible work.
 */
export const CONFIG_LIMITS = {
  vocab: 262_144, length: 4096, hidden: 8192, heads: 128, blocks: 256, cond: 8192, mlpRatio: 16,
} as const satisfies Partial<Record<keyof DiTConfig, number>>;

export function validateConfig(c: DiTConfig): void {
  for (const k of Object.keys(CONFIG_LIMITS) as (keyof typeof CONFIG_LIMITS)[]) {
    const v = c[k], max = CONFIG_LIMITS[k];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`DiT config: ${k} must be a positive integer, got ${v}`);
    if (v > max) throw new RangeError(`DiT config: ${k} ${v} is above the limit of ${max} that FLM Studio supports`);
  }
  if (!Number.isFinite(c.softcap) || c.softcap < 0) throw new RangeError(`DiT config: softcap must be 0 (off) or positive, got ${c.softcap}`);
  if (c.vocab < 2) throw new RangeError(`DiT config: vocab must be at least 2, got ${c.vocab}`);
  if (c.hidden % c.heads !== 0) throw new RangeError(`DiT config: hidden (${c.hidden}) must be divisible by heads (${c.heads})`);
  if ((c.hidden / c.heads) % 2 !== 0) throw new RangeError(`DiT config: head size ${c.hidden / c.heads} must be even (rotary)`);
  if (c.hidden / c.heads > 128) throw new RangeError(`DiT config: head size ${c.hidden / c.heads} above 128 is not supported`);
}

/** The official safetensors `__metadata__` keys for a config (and back). */
export function configToMetadata(c: DiTConfig): Record<string, string> {
  return {
    vocab: String(c.vocab), length: String(c.length), hidden_size: String(c.hidden),
    cond_dim: String(c.cond), n_heads: String(c.heads), n_blocks: String(c.blocks),
    double_temb: c.twoTime ? 'True' : 'False',
    learnable_loss_weighting: c.lossWeighting ? 'True' : 'False',
    softcap: String(c.softcap), mlp_ratio: String(c.mlpRatio),
    // Only written when set, so bidirectional models' metadata is unchanged.
    ...(c.causal ? { causal: 'True' } : {}),
  };
}

export function configFromMetadata(m: Record<string, string>): DiTConfig {
  const need = (k: string): number => {
    const v = m[k];
    if (v === undefined) throw new Error(`model metadata lacks "${k}"`);
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`model metadata "${k}" is not a number: ${v}`);
    return n;
  };
  const bool = (k: string): boolean => (m[k] ?? 'False').toLowerCase() === 'true';
  const cfg: DiTConfig = {
    vocab: need('vocab'), length: need('length'), hidden: need('hidden_size'), cond: need('cond_dim'),
    heads: need('n_heads'), blocks: need('n_blocks'),
    twoTime: bool('double_temb'), lossWeighting: bool('learnable_loss_weighting'),
    softcap: m.softcap !== undefined ? Number(m.softcap) : 50,
    mlpRatio: m.mlp_ratio !== undefined ? Number(m.mlp_ratio) : 4,
    ...(bool('causal') ? { causal: true } : {}),
  };
  validateConfig(cfg);
  return cfg;
}
