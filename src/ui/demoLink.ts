/**
 * The Demo's share links: which model (a bundled model's id or the URL of a
 * `.safetensors` file), seed, step counts, sample count and backend; all a
 * second browser needs to reproduce the same tokens.
 */
import type { BackendChoice, BackendPreference, ModelSource } from '../../workers/protocol.ts';

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

const BACKENDS: readonly string[] = ['cpu', 'wasm', 'webgpu'];

/**
 * A share link's settings. `notices`: a value the link gives that the studio
 * cannot use, said with what it uses instead (a link that asks for seed -5
 * is not silently a link for seed 0).
 */
export function parseLink(search: string): { link: DemoLink; auto: boolean; notices: string[] } {
  const q = new URLSearchParams(search);
  const notices: string[] = [];
  const int = (name: string, d: number, lo: number, hi: number) => {
    if (!q.has(name)) return d;
    const raw = q.get(name) ?? '', v = Number(raw);
    if (raw.trim() !== '' && Number.isInteger(v) && v >= lo && v <= hi) return v;
    notices.push(`${name}=${raw} is not a whole number from ${lo} to ${hi}: using ${d}`);
    return d;
  };
  const b = q.get('backend');
  let backend: BackendPreference = 'auto';
  if (b !== null && b !== 'auto') {
    if (BACKENDS.includes(b)) backend = b as BackendPreference;
    else notices.push(`backend=${b} is not a backend (auto, webgpu, wasm or cpu): using auto`);
  }
  const m = q.get('model');
  let model = DEMO_MODEL;
  if (m !== null) {
    if (isUrl(m) || /^[\w.-]+$/.test(m)) model = m;
    else notices.push(`model=${m} is neither a bundled model nor an http(s) URL: using ${DEMO_MODEL}`);
  }
  return {
    link: {
      model,
      seed: int('seed', 0, 0, 2 ** 31 - 1),
      steps: int('steps', 1, 1, 1024),
      count: int('count', 2, 1, 8),
      compare: int('compare', DEMO_COMPARE_STEPS, 0, 1024),
      backend,
    },
    // A link with a seed is a shared sample: generate it at once.
    auto: q.has('seed'),
    notices,
  };
}

/** A menu's choices with the current value among them (a link's compare=7 is shown as 7, not as the first choice). */
export const menuWith = (choices: readonly number[], value: number): number[] =>
  (choices.includes(value) ? [...choices] : [...choices, value].sort((a, b) => a - b));

/**
 * The backend a share link names: the one that computed the sample (a link
 * that asked for WebGPU, opened where only the CPU runs, offers the CPU), the
 * preference while nothing has run.
 */
export const sharedBackend = (wanted: BackendPreference, used: BackendChoice | null | undefined): BackendPreference => used ?? wanted;

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

