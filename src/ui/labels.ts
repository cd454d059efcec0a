/** Model kinds and samplers in words, from their typed names (the UI never branches on display strings). */
import type { LoadedModel, ModelKind } from '../../workers/protocol.ts';

/** A model kind in a table or a list. */
export const KIND_LABEL: Record<ModelKind, string> = {
  flm: 'FLM', flowmap: 'flow map (stage 1)', fmlm: 'FMLM (stage 2)', judge: 'AR judge',
};

/** A model kind in a heading or a column label ("FMLM · 1 step"). */
export const KIND_SHORT: Record<ModelKind, string> = { flm: 'FLM', flowmap: 'flow map', fmlm: 'FMLM', judge: 'judge' };

/** What a step of the model's sampler is called: Euler steps for an FLM, plain steps for the flow-map samplers. */
export function stepsLabel(model: Pick<LoadedModel, 'samplerKind'> | null): string {
  return !model || model.samplerKind === 'euler' ? 'Euler steps' : 'Steps';
}
