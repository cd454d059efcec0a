import { useEffect, useId, useState, type ReactNode } from 'react';
import { parseNumber, type NumberRule } from '../numbers.ts';

/**
 * A number box that keeps what the user types (clearing it to type another
 * number works) and sets the value only when it is valid; otherwise it says
 * why at once, next to the box, and the setting keeps its last good value.
 */
export function NumberField({ label, value, onValue, rule, testid, step, className, disabled }: {
  label: ReactNode;
  value: number;
  onValue(v: number): void;
  rule: NumberRule;
  testid?: string;
  step?: number | 'any';
  className?: string;
  disabled?: boolean;
}) {
  const [text, setText] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  // A value set elsewhere (a preset, a link) replaces what the box shows, unless the box already means it.
  useEffect(() => {
    setText((t) => {
      const p = parseNumber(t, rule);
      return p.ok && p.value === value ? t : String(value);
    });
    setError(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const change = (t: string) => {
    setText(t);
    const p = parseNumber(t, rule);
    if (p.ok) { setError(null); if (p.value !== value) onValue(p.value); } else setError(p.message);
  };
  return (
    <label className={className}>
      {label}
      <input
        type="number" data-testid={testid} value={text} disabled={disabled}
        min={rule.min} max={rule.max} step={step ?? (rule.integer ? 1 : 'any')}
        aria-invalid={error !== null} aria-describedby={error ? errorId : undefined}
        onChange={(e) => change(e.target.value)}
      />
      {error && <span className="field-error error" role="alert" id={errorId} data-testid={testid ? `${testid}-error` : undefined}>{error}</span>}
    </label>
  );
}
