/**
 * The adaLN modulation chunks: what each D-wide column block of an
 * `adaLN_modulation` output [B, chunks·D] means. The one declaration of the
 * order, which is the official code's:
 *
 *   DDiTBlock:   shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = adaLN_modulation(c).chunk(6)
 *   DDitFinalLayer:   shift, scale = adaLN_modulation(c).chunk(2)
 *
 * The parameter layout sizes the modulation layers from it, and the DiT reads
 * the column offsets it gives to the LayerNorm-modulate and gate kernels.
 */

/** The six chunks of a block's modulation (msa: the attention branch, mlp: the MLP branch). */
export const BLOCK_CHUNKS = ['shiftMsa', 'scaleMsa', 'gateMsa', 'shiftMlp', 'scaleMlp', 'gateMlp'] as const;
/** The two chunks of the final layer's modulation. */
export const FINAL_CHUNKS = ['shift', 'scale'] as const;

export type BlockChunk = (typeof BLOCK_CHUNKS)[number];
export type FinalChunk = (typeof FINAL_CHUNKS)[number];

/** Where each chunk lies in the columns of a [B, stride] modulation tensor. */
export interface AdaLnLayout<K extends string> {
  /** Columns per batch item: chunks·D (the modulation layer's output features). */
  readonly stride: number;
  /** First column of each chunk: its index·D. */
  readonly offset: Readonly<Record<K, number>>;
}

function adaLnLayout<K extends string>(chunks: readonly K[], hidden: number): AdaLnLayout<K> {
  const offset = {} as Record<K, number>;
  chunks.forEach((k, i) => { offset[k] = i * hidden; });
  return { stride: chunks.length * hidden, offset };
}

/** A DiT block's modulation [B, 6D]. */
export function blockAdaLn(hidden: number): AdaLnLayout<BlockChunk> {
  return adaLnLayout(BLOCK_CHUNKS, hidden);
}

/** The final layer's modulation [B, 2D]. */
export function finalAdaLn(hidden: number): AdaLnLayout<FinalChunk> {
  return adaLnLayout(FINAL_CHUNKS, hidden);
}
