import { useState } from 'react';
import { VIEWS, viewFor, type ViewId } from './viewRegistry.ts';

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
      <nav className="tabs" role="tablist">
        {VIEWS.map((v) => (
          <button key={v.id} type="button" role="tab" aria-selected={view === v.id} title={v.description} data-testid={`tab-${v.id}`} onClick={() => choose(v.id)}>
            {v.title}
          </button>
        ))}
      </nav>
      <main><Current /></main>
    </div>
  );
}
