/**
 * The studio's views: one entry per view (its id in the URL's `view`
 * parameter, its tab title, what it is for, its component), read by the
 * navigation and by the router in App.
 */
import type { ComponentType } from 'react';
import { DemoView } from './views/DemoView.tsx';
import { DistillView } from './views/DistillView.tsx';
import { EngineView } from './views/EngineView.tsx';
import { EvalView } from './views/EvalView.tsx';
import { SampleView } from './views/SampleView.tsx';
import { TrainView } from './views/TrainView.tsx';

export interface ViewDef {
  id: string;
  title: string;
  description: string;
  component: ComponentType;
}

export const VIEWS = [
  { id: 'demo', title: 'Demo', description: 'One-step generation from noise, next to its FLM teacher; share links that reproduce a sample', component: DemoView },
  { id: 'train', title: 'Train', description: 'Train an FLM on the bundled corpus or your own text', component: TrainView },
  { id: 'distill', title: 'Distill', description: 'Distil an FLM into a flow map (stage 1), then a one-step FMLM (stage 2)', component: DistillView },
  { id: 'sample', title: 'Sample', description: 'Watch text emerge from noise, frame by frame, in the denoising visualizer', component: SampleView },
  { id: 'evaluate', title: 'Evaluate', description: 'Generative perplexity and entropy against steps, scored by an autoregressive judge', component: EvalView },
  { id: 'engine', title: 'Engine', description: 'The backend in use, its limits, and a self-test against the official model', component: EngineView },
] as const satisfies readonly ViewDef[];

export type ViewId = (typeof VIEWS)[number]['id'];

export const DEFAULT_VIEW: ViewId = 'demo';

/** The view a URL's `view` parameter names, or the default one. */
export function viewFor(id: string | null): (typeof VIEWS)[number] {
  return VIEWS.find((v) => v.id === id) ?? VIEWS.find((v) => v.id === DEFAULT_VIEW)!;
}
