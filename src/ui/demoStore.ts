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
import { WorkerError, type LoadProgress } from '../../workers/protocol.ts';
import { explainLoadError } from './loadErrors.ts';
import { DEMO_MODEL, linkUrl, parseLink, sharedBackend, sourceFor, type DemoLink } from './demoLink.ts';
import { initialDemo, isBusy, reduceDemo, type DemoAction, type DemoPage } from './reducers/demo.ts';
import { sampler } from './workers.ts';

export type { CompareResult, DemoPhase } from './reducers/demo.ts';

interface DemoState extends DemoPage {
  /** The link's values the studio could not use, each with what it used instead. */
  linkNotices: string[];
  init(): Promise<void>;
  /**
   * Load another model (a URL or a bundled id); the current one stays if it
   * fails. A remote model above the size downloaded without asking is not
   * downloaded: the page asks (phase 'confirm'); `maxBytes` is the size agreed to.
   */
  open(model: string, opts?: { maxBytes?: number }): Promise<boolean>;
  /** The user's answer to the size question: yes downloads the model (and generates a shared link's sample), no keeps what there is. */
  answerSize(yes: boolean): Promise<void>;
  generate(opts?: { newSeed?: boolean }): Promise<void>;
  set(p: Partial<Omit<DemoLink, 'model'>>): void;
  /** The link that reproduces the current sample. */
  shareUrl(): string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The largest model downloaded at all (src/io/remoteModel.ts's LARGEST_REMOTE_MODEL_BYTES; the UI imports no core values). */
const LARGEST_MODEL_BYTES = 4 * 1024 * 1024 * 1024;

export const useDemo = create<DemoState>((set, get) => {
  const initial = parseLink(location.search);
  const api = () => sampler('demo');
  const dispatch = (a: DemoAction) => set((s) => reduceDemo(s, a));
  const onProgress = Comlink.proxy((p: LoadProgress) => dispatch({ type: 'progress', progress: p }));

  const persist = () => {
    const url = new URL(linkUrl(location.href, get().link));
    if (!get().run) url.searchParams.delete('seed'); // no sample yet: nothing to reproduce on reload
    history.replaceState(null, '', url);
  };

  async function loadTeacher(): Promise<void> {
    try {
      const t = await api().prepareTeacher(onProgress);
      dispatch({ type: 'teacher', name: t?.name ?? null });
    } catch (e) {
      dispatch({ type: 'teacher', name: null, message: `The FLM for the comparison could not be loaded: ${message(e)}` });
    }
  }

  return {
    ...initialDemo(initial.link),
    linkNotices: initial.notices,

    async init() {
      const wanted = get().link.model;
      const ok = await get().open(wanted);
      if (!ok && get().phase === 'confirm') return; // a large model: the user decides (answerSize)
      if (!ok && wanted !== DEMO_MODEL) {
        // The link's model failed: keep the demo working with the bundled one.
        const msg = get().message;
        const fallback = await get().open(DEMO_MODEL);
        dispatch({ type: 'fell-back', refused: wanted, message: msg });
        if (!fallback) return;
      }
      if (get().model && initial.auto) await get().generate();
    },

    async open(model, opts = {}) {
      dispatch({ type: 'opening' });
      try {
        const loaded = await api().load(sourceFor(model, opts.maxBytes), get().link.backend, onProgress);
        dispatch({ type: 'opened', model, loaded });
        if (loaded.teacher) await loadTeacher();
        // One throw-away step of each network compiles its GPU pipelines now, so
        // that the times shown next to the first sample are the sampling's own.
        dispatch({ type: 'warming-up' });
        const warm = { seed: 0, steps: 1, count: get().link.count, k: 1 };
        await api().sample(warm);
        if (get().teacher) await api().sampleTeacher(warm);
        dispatch({ type: 'ready' });
        persist();
        return true;
      } catch (e) {
        if (e instanceof WorkerError && e.code === 'confirm-size') {
          dispatch({ type: 'confirm-size', question: { model, size: e.size, message: e.message } });
          return false;
        }
        dispatch({ type: 'open-failed', model, message: explainLoadError(e, model) });
        return false;
      }
    },

    async answerSize(yes) {
      const q = get().confirm;
      if (!q) return;
      dispatch({ type: 'confirm-answered' });
      if (yes && await get().open(q.model, { maxBytes: q.size ?? LARGEST_MODEL_BYTES })) {
        if (initial.auto && q.model === initial.link.model) await get().generate();
        return;
      }
      // No, or the download failed: the demo goes on with the model it had, or the bundled one.
      if (get().model || get().phase === 'confirm') return;
      const msg = get().message;
      if (await get().open(DEMO_MODEL)) dispatch({ type: 'fell-back', refused: q.model, message: msg });
    },

    set(p) {
      dispatch({ type: 'link', patch: p });
      persist();
    },

    async generate(opts = {}) {
      if (!get().model || isBusy(get().phase)) return;
      if (opts.newSeed) dispatch({ type: 'link', patch: { seed: Math.floor(Math.random() * 2 ** 31) } });
      const { seed, steps, count, compare } = get().link;
      dispatch({ type: 'generating' });
      try {
        const run = await api().sample({ seed, steps, count, k: 5 }, Comlink.proxy((f: FrameSummary) => dispatch({ type: 'frame', frame: f })));
        dispatch({ type: 'sampled', run });
        persist();
        if (compare > 0 && get().teacher) {
          dispatch({ type: 'comparing' });
          const r = await api().sampleTeacher({ seed, steps: compare, count, k: 1 });
          dispatch({ type: 'compared', result: { steps: compare, texts: r.texts, tokens: r.tokens, msPerSample: r.msTotal / r.count } });
        }
      } catch (e) {
        dispatch({ type: 'generate-failed', message: `Generation failed: ${message(e)}` });
      } finally {
        dispatch({ type: 'generated' });
      }
    },

    shareUrl() {
      // The backend that computed this sample, so the link reproduces it exactly.
      const { link, model } = get();
      return linkUrl(location.href, { ...link, backend: sharedBackend(link.backend, model?.backendKind) });
    },
  };
});
