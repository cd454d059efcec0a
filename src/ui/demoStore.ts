/**
 * The Demo view's state: the model of the page's link (a bundled model's id
 * or a `.safetensors` URL), its FLM teacher for the side-by-side, the seed
 * and step counts, the last one-step sample and the comparison. Everything
 * that decides the tokens is in the share link: model, seed, steps, count,
 * backend, so opening the link reproduces the sample.
 */
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { FrameSummary } from '../sampling/frames.ts';
import type { SampleRun } from '../sampling/session.ts';
import { WorkerError, type LoadedModel, type LoadProgress, type WorkerErrorCode } from '../../workers/protocol.ts';
import { DEMO_MODEL, linkUrl, parseLink, sourceFor, type DemoLink } from './demoLink.ts';
import { sampler } from './workers.ts';

export interface CompareResult { steps: number; texts: string[]; tokens: number[][]; msPerSample: number }

export type DemoPhase = 'loading' | 'ready' | 'generating' | 'comparing' | 'failed';

interface DemoState {
  phase: DemoPhase;
  progress: LoadProgress | null;
  link: DemoLink;
  model: LoadedModel | null;
  /** The link's model when it could not be loaded (the demo fell back to the bundled one). */
  refused: string | null;
  teacher: string | null;
  /** Why the link's (or the chosen) model could not be opened; cleared when a model opens. */
  message: string | null;
  /** Why the last generation failed. */
  genError: string | null;
  frames: FrameSummary[];
  run: SampleRun | null;
  compare: CompareResult | null;
  init(): Promise<void>;
  /** Load another model (a URL or a bundled id); the current one stays if it fails. */
  open(model: string): Promise<boolean>;
  generate(opts?: { newSeed?: boolean }): Promise<void>;
  set(p: Partial<Omit<DemoLink, 'model'>>): void;
  /** The link that reproduces the current sample. */
  shareUrl(): string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** What a download failure's code leads with (the WorkerError codes of a model download). */
const DOWNLOAD_LEAD: Partial<Record<WorkerErrorCode, string>> = {
  'bad-url': 'That model link is not usable',
  'not-safetensors': 'That is not a model file',
  offline: 'You are offline',
  network: 'Network error',
  cors: 'The model\'s server refused access (CORS)',
  'not-found': 'Model not found (404)',
  http: 'The model\'s server refused the download',
  'too-large': 'The model file is too large',
};

/** What to tell the user about a model that could not be opened, by the worker's error code. */
function explainLoadError(e: unknown, model: string): string {
  const what = /^https?:/i.test(model) ? model : `the bundled model ${model}`;
  const detail = message(e);
  const code = e instanceof WorkerError ? e.code : undefined;
  if (code && DOWNLOAD_LEAD[code]) return `${DOWNLOAD_LEAD[code]}: ${detail}`;
  if (code === 'bad-checkpoint') return `The model file does not match its config (${what}): ${detail}`;
  return `Could not open ${what}: ${detail}`;
}

export const useDemo = create<DemoState>((set, get) => {
  const initial = parseLink(location.search);
  const api = () => sampler('demo');
  const onProgress = Comlink.proxy((p: LoadProgress) => set({ progress: p }));

  const persist = () => {
    const url = new URL(linkUrl(location.href, get().link));
    if (!get().run) url.searchParams.delete('seed'); // no sample yet: nothing to reproduce on reload
    history.replaceState(null, '', url);
  };

  async function loadTeacher(): Promise<void> {
    try {
      const t = await api().prepareTeacher(onProgress);
      set({ teacher: t?.name ?? null });
    } catch (e) {
      set({ teacher: null, message: `The FLM for the comparison could not be loaded: ${message(e)}` });
    }
  }

  return {
    phase: 'loading',
    progress: null,
    link: initial.link,
    model: null,
    refused: null,
    teacher: null,
    message: null,
    genError: null,
    frames: [],
    run: null,
    compare: null,

    async init() {
      const wanted = get().link.model;
      const ok = await get().open(wanted);
      if (!ok && wanted !== DEMO_MODEL) {
        // The link's model failed: keep the demo working with the bundled one.
        const msg = get().message;
        const fallback = await get().open(DEMO_MODEL);
        set({ refused: wanted, message: msg });
        if (!fallback) return;
      }
      if (get().model && initial.auto) await get().generate();
    },

    async open(model) {
      set({ phase: 'loading', progress: null, message: null });
      try {
        const loaded = await api().load(sourceFor(model), get().link.backend, onProgress);
        set({ model: loaded, link: { ...get().link, model }, refused: null, frames: [], run: null, compare: null, teacher: null });
        if (loaded.teacher) await loadTeacher();
        // One throw-away step of each network compiles its GPU pipelines now, so
        // that the times shown next to the first sample are the sampling's own.
        set({ progress: { what: 'warm-up (compiling the GPU kernels)', loaded: 0, total: null } });
        const warm = { seed: 0, steps: 1, count: get().link.count, k: 1 };
        await api().sample(warm);
        if (get().teacher) await api().sampleTeacher(warm);
        set({ phase: 'ready', progress: null });
        persist();
        return true;
      } catch (e) {
        set({ phase: get().model ? 'ready' : 'failed', progress: null, message: explainLoadError(e, model), refused: model });
        return false;
      }
    },

    set(p) {
      set({ link: { ...get().link, ...p } });
      persist();
    },

    async generate(opts = {}) {
      const { model } = get();
      if (!model || get().phase === 'generating' || get().phase === 'comparing') return;
      if (opts.newSeed) set({ link: { ...get().link, seed: Math.floor(Math.random() * 2 ** 31) } });
      const { seed, steps, count, compare } = get().link;
      set({ phase: 'generating', genError: null, frames: [], run: null, compare: null });
      try {
        const run = await api().sample({ seed, steps, count, k: 5 }, Comlink.proxy((f: FrameSummary) => {
          set({ frames: f.step === 0 ? [f] : [...get().frames, f] });
        }));
        set({ run });
        persist();
        if (compare > 0 && get().teacher) {
          set({ phase: 'comparing' });
          const r = await api().sampleTeacher({ seed, steps: compare, count, k: 1 });
          set({ compare: { steps: compare, texts: r.texts, tokens: r.tokens, msPerSample: r.msTotal / r.count } });
        }
      } catch (e) {
        set({ genError: `Generation failed: ${message(e)}` });
      } finally {
        set({ phase: 'ready' });
      }
    },

    shareUrl() {
      // The backend that computed this sample, so the link reproduces it exactly.
      const { link, model } = get();
      return linkUrl(location.href, { ...link, backend: link.backend === 'auto' && model ? model.backendKind : link.backend });
    },
  };
});
