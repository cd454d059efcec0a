import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { registerSW } from 'virtual:pwa-register';
import { App } from './ui/App.tsx';
import './ui/styles.css';

// Production builds work offline after the first visit (the service worker
// precaches the app and the bundled models); in development this does nothing.
registerSW({ immediate: true });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
