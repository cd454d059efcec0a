/**
 * A view's "what am I looking at" paragraph: open on a first visit, folded
 * away for good once dismissed (remembered in localStorage per view), and
 * opened again from its summary at any time.
 */
import { useState, type ReactNode } from 'react';

const key = (view: string) => `flm.intro.dismissed.${view}`;

function dismissed(view: string): boolean {
  try { return localStorage.getItem(key(view)) === '1'; } catch { return false; }
}

function remember(view: string, gone: boolean): void {
  try {
    if (gone) localStorage.setItem(key(view), '1');
    else localStorage.removeItem(key(view));
  } catch { /* storage refused (private mode): the paragraph just opens again next time */ }
}

export function Intro({ view, children }: { view: string; children: ReactNode }) {
  const [open, setOpen] = useState(() => !dismissed(view));
  const toggle = (next: boolean) => {
    if (next === open) return;
    setOpen(next);
    remember(view, !next);
  };
  return (
    <details className="intro" open={open} data-testid="intro" data-view={view}
      onToggle={(e) => toggle((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>What am I looking at?</summary>
      <div className="intro-body">
        {children}
        <button type="button" data-testid="intro-dismiss" onClick={() => toggle(false)}>Got it, fold this away</button>
      </div>
    </details>
  );
}
