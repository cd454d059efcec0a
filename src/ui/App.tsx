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
  // The tab pattern's keys: arrows move to the previous or next tab (wrapping), Home and End to the first and last.
  const onKey = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.view.id === view);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length].view.id;
    choose(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <div className="app">
      <header className="masthead">
        <h1>FLM Studio</h1>
        <p className="tagline">Train tiny flow-based language models on WebGPU and watch text emerge from noise.</p>
      </header>
      <nav className="tabs" aria-label="Views">
        <p className="path" id="suggested-path">
          New here? Follow the numbers: {SUGGESTED_PATH.map((id) => viewFor(id).title).join(' → ')}.
        </p>
        <div role="tablist" aria-describedby="suggested-path" onKeyDown={onKey}>
          {TABS.map(({ view: v, step }) => (
            <button key={v.id} id={`tab-${v.id}`} type="button" role="tab" aria-selected={view === v.id} tabIndex={view === v.id ? 0 : -1} aria-controls="view-panel"
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
