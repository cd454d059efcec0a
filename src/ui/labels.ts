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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A model in a menu: its name, then the list's detail (kind, step, 'bundled')
 * in brackets, less the parts the name already says: "base (step 400)" with
 * "flm, step 400" is "base (step 400) (flm)", never "… (step 400) (step 400)".
 */
export function modelLabel(name: string, detail: string): string {
  const said = (part: string) => new RegExp(`(^|[^\\w])${escape(part)}($|[^\\w])`, 'i').test(name);
  const rest = detail.split(',').map((p) => p.trim()).filter((p) => p && !said(p));
  return rest.length ? `${name} (${rest.join(', ')})` : name;
}
