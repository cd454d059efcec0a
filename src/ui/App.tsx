import { useState } from 'react';
import { Intro } from './components/Intro.tsx';
import { INTROS, SUGGESTED_PATH } from './intros.tsx';
import { VIEWS, viewFor, type ViewId } from './viewRegistry.ts';

/** The tabs in the suggested path's order (numbered), then the views off the path. */
const TABS = [
  ...SUGGESTED_PATH.map((id, i) => ({ view: viewFor(id), step: i + 1 })),
  ...VIEWS.filter((v) => !SUGGESTED_PATH.includes(v.id)).map((view) => ({ view, step: 0 })),
];

export function App() {
  const [view, setView] = useState<ViewId>(() => viewFor(new URLSearchParams(location.search).get('view')).id);
  const choose = (v: ViewId) => {
    setView(v);
    const url = new URL(location.href);
    url.searchParams.set('view', v);
    history.replaceState(null, '', url);
  };
  const Current = viewFor(view).component;
  return (
    <div className="app">
      <header>
        <h1>FLM Studio</h1>
        <p className="tagline">Train tiny flow-based language models on WebGPU and watch text emerge from noise.</p>
      </header>
      <nav className="tabs" aria-label="Views">
        <p className="path" id="suggested-path">
          New here? Follow the numbers: {SUGGESTED_PATH.map((id) => viewFor(id).title).join(' → ')}.
        </p>
        <div role="tablist" aria-describedby="suggested-path">
          {TABS.map(({ view: v, step }) => (
            <button key={v.id} id={`tab-${v.id}`} type="button" role="tab" aria-selected={view === v.id} aria-controls="view-panel"
              title={step ? `Step ${step} of the suggested path: ${v.description}` : v.description}
              data-testid={`tab-${v.id}`} data-step={step || undefined} onClick={() => choose(v.id)}>
              {step > 0 && <span className="tab-step" aria-hidden="true">{step}</span>}
              {v.title}
            </button>
          ))}
        </div>
      </nav>
      <main>
        <div id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`}>
          <Intro key={view} view={view}>{INTROS[view]}</Intro>
          <Current />
        </div>
      </main>
    </div>
  );
}
