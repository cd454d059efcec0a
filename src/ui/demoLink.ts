/**
 * The Demo's share links: which model (a bundled model's id or the URL of a
 * `.safetensors` file), seed, step counts, sample count and backend; all a
 * second browser needs to reproduce the same tokens.
 */
import type { BackendPreference, ModelSource } from '../../workers/protocol.ts';

/** The model the demo shows unless a link names another. */
export const DEMO_MODEL = 'fmlm-micro-char';
export const DEMO_COMPARE_STEPS = 64;

export interface DemoLink {
  /** A bundled model's id (its file name without `.safetensors`) or an http(s) URL of a `.safetensors` file. */
  model: string;
  seed: number;
  steps: number;
  count: number;
  /** FLM Euler steps for the comparison (0: none). */
  compare: number;
  backend: BackendPreference;
}

const isUrl = (m: string) => /^https?:\/\//i.test(m);

/** The worker's source for a link's model; `maxBytes`: the size the user agreed to download (a large remote model). */
export function sourceFor(model: string, maxBytes?: number): ModelSource {
  if (isUrl(model)) return maxBytes ? { kind: 'url', url: model, maxBytes } : { kind: 'url', url: model };
  if (!/^[\w.-]+$/.test(model)) throw new Error(`"${model}" is neither a bundled model nor an https URL of a .safetensors file`);
  return { kind: 'bundled', file: model.endsWith('.safetensors') ? model : `${model}.safetensors` };
}

export function parseLink(search: string): { link: DemoLink; auto: boolean } {
  const q = new URLSearchParams(search);
  const int = (name: string, d: number, lo: number, hi: number) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isInteger(v) && v >= lo && v <= hi ? v : d;
  };
  const b = q.get('backend');
  const model = q.get('model');
  return {
    link: {
      model: model && (isUrl(model) || /^[\w.-]+$/.test(model)) ? model : DEMO_MODEL,
      seed: int('seed', 0, 0, 2 ** 31 - 1),
      steps: int('steps', 1, 1, 1024),
      count: int('count', 2, 1, 8),
      compare: int('compare', DEMO_COMPARE_STEPS, 0, 1024),
      backend: b === 'cpu' || b === 'webgpu' ? b : 'auto',
    },
    // A link with a seed is a shared sample: generate it at once.
    auto: q.has('seed'),
  };
}

export function linkUrl(base: string, l: DemoLink): string {
  const url = new URL(base);
  url.search = '';
  url.hash = '';
  const q = url.searchParams;
  q.set('view', 'demo');
  q.set('model', l.model);
  q.set('seed', String(l.seed));
  q.set('steps', String(l.steps));
  q.set('count', String(l.count));
  q.set('compare', String(l.compare));
  if (l.backend !== 'auto') q.set('backend', l.backend);
  return url.href;
}

