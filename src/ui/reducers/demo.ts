/**
 * The Demo's page as a pure function of what happens to it: the model
 * opening (download progress, warm-up), the one-step sample as its frames
 * arrive, the FLM comparison, and the link's settings.
 */
import type { FrameSummary } from '../../sampling/frames.ts';
import type { SampleRun } from '../../sampling/session.ts';
import type { LoadedModel, LoadProgress } from '../../../workers/protocol.ts';
import type { DemoLink } from '../demoLink.ts';

export interface CompareResult { steps: number; texts: string[]; tokens: number[][]; msPerSample: number }

/** 'confirm': the link's model is larger than the studio downloads without asking; the user decides. */
export type DemoPhase = 'loading' | 'confirm' | 'ready' | 'generating' | 'comparing' | 'failed';

/** A model waiting for the user's yes: its link name, its size (null: the server did not say) and the question's text. */
export interface SizeQuestion { model: string; size: number | null; message: string }

export interface DemoPage {
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
  /** A large model to download only on the user's yes. */
  confirm: SizeQuestion | null;
  frames: FrameSummary[];
  run: SampleRun | null;
  compare: CompareResult | null;
}

export type DemoAction =
  | { type: 'opening' }
  | { type: 'progress'; progress: LoadProgress }
  /** `model` is the link's name of it (a bundled id or a URL). */
  | { type: 'opened'; model: string; loaded: LoadedModel }
  | { type: 'teacher'; name: string | null; message?: string }
  | { type: 'warming-up' }
  | { type: 'ready' }
  | { type: 'open-failed'; model: string; message: string }
  /** The model is larger than downloaded without asking: ask. */
  | { type: 'confirm-size'; question: SizeQuestion }
  /** The user answered (yes: the download starts with 'opening'; no: back to what was there). */
  | { type: 'confirm-answered' }
  /** After a fallback to the bundled model: the link's model stays named as refused, with its message. */
  | { type: 'fell-back'; refused: string; message: string | null }
  | { type: 'link'; patch: Partial<DemoLink> }
  | { type: 'generating' }
  | { type: 'frame'; frame: FrameSummary }
  | { type: 'sampled'; run: SampleRun }
  | { type: 'comparing' }
  | { type: 'compared'; result: CompareResult }
  | { type: 'generate-failed'; message: string }
  | { type: 'generated' };

export const WARM_UP: LoadProgress = { what: 'warm-up (compiling the GPU kernels)', loaded: 0, total: null };

export const initialDemo = (link: DemoLink): DemoPage => ({
  phase: 'loading', progress: null, link, model: null, refused: null, teacher: null, message: null, genError: null, frames: [], run: null, compare: null,
  confirm: null,
});

/** Whether the page is busy (loading, generating or comparing). */
export const isBusy = (phase: DemoPhase): boolean => phase === 'loading' || phase === 'generating' || phase === 'comparing';

export function reduceDemo(s: DemoPage, a: DemoAction): DemoPage {
  switch (a.type) {
    case 'opening':
      return { ...s, phase: 'loading', progress: null, message: null, confirm: null };
    case 'confirm-size':
      return { ...s, phase: 'confirm', progress: null, confirm: a.question };
    case 'confirm-answered':
      return { ...s, phase: s.model ? 'ready' : 'failed', confirm: null };
    case 'progress':
      return { ...s, progress: a.progress };
    case 'opened':
      return { ...s, model: a.loaded, link: { ...s.link, model: a.model }, refused: null, frames: [], run: null, compare: null, teacher: null };
    case 'teacher':
      return { ...s, teacher: a.name, ...(a.message !== undefined ? { message: a.message } : {}) };
    case 'warming-up':
      return { ...s, progress: WARM_UP };
    case 'ready':
      return { ...s, phase: 'ready', progress: null };
    case 'open-failed':
      return { ...s, phase: s.model ? 'ready' : 'failed', progress: null, message: a.message, refused: a.model };
    case 'fell-back':
      return { ...s, refused: a.refused, message: a.message };
    case 'link':
      return { ...s, link: { ...s.link, ...a.patch } };
    case 'generating':
      return { ...s, phase: 'generating', genError: null, frames: [], run: null, compare: null };
    case 'frame':
      return { ...s, frames: a.frame.step === 0 ? [a.frame] : [...s.frames, a.frame] };
    case 'sampled':
      return { ...s, run: a.run };
    case 'comparing':
      return { ...s, phase: 'comparing' };
    case 'compared':
      return { ...s, compare: a.result };
    case 'generate-failed':
      return { ...s, genError: a.message };
    case 'generated':
      return { ...s, phase: 'ready' };
  }
}
