/**
 * A technical term with its glossary definition: shown on hover and on
 * keyboard focus (the term is in the tab order), and read by screen readers
 * as the term's description.
 */
import { useId, type ReactNode } from 'react';
import { GLOSSARY, type GlossaryTerm } from '../glossary.ts';

export function Term({ k, children }: { k: GlossaryTerm; children?: ReactNode }) {
  const id = useId();
  return (
    <span className="term" tabIndex={0} aria-describedby={id} data-term={k}>
      {children ?? k}
      <span className="tip" role="tooltip" id={id}>{GLOSSARY[k]}</span>
    </span>
  );
}
