import { useState } from 'react';
import { DemoView } from './views/DemoView.tsx';
import { DistillView } from './views/DistillView.tsx';
import { EngineView } from './views/EngineView.tsx';
import { EvalView } from './views/EvalView.tsx';
import { SampleView } from './views/SampleView.tsx';
import { TrainView } from './views/TrainView.tsx';

const VIEWS = { demo: 'Demo', train: 'Train', distill: 'Distill', sample: 'Sample', evaluate: 'Evaluate', engine: 'Engine' } as const;
type View = keyof typeof VIEWS;

function initialView(): View {
  const v = new URLSearchParams(location.search).get('view');
  return v && v in VIEWS ? (v as View) : 'demo';
}

export function App() {
  const [view, setView] = useState<View>(initialView);
  const choose = (v: View) => {
    setView(v);
    const url = new URL(location.href);
    url.searchParams.set('view', v);
    history.replaceState(null, '', url);
  };
  return (
    <div className="app">
      <header>
        <h1>FLM Studio</h1>
        <p className="tagline">Train tiny flow-based language models on WebGPU and watch text emerge from noise.</p>
      </header>
      <nav className="tabs" role="tablist">
        {(Object.keys(VIEWS) as View[]).map((v) => (
          <button key={v} type="button" role="tab" aria-selected={view === v} data-testid={`tab-${v}`} onClick={() => choose(v)}>{VIEWS[v]}</button>
        ))}
      </nav>
      <main>{view === 'demo' ? <DemoView /> : view === 'train' ? <TrainView /> : view === 'distill' ? <DistillView /> : view === 'sample' ? <SampleView /> : view === 'evaluate' ? <EvalView /> : <EngineView />}</main>
    </div>
  );
}
