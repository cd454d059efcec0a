import { EngineView } from './views/EngineView.tsx';

export function App() {
  return (
    <div className="app">
      <header>
        <h1>FLM Studio</h1>
        <p className="tagline">Train tiny flow-based language models on WebGPU and watch text emerge from noise.</p>
      </header>
      <main>
        <EngineView />
      </main>
    </div>
  );
}
