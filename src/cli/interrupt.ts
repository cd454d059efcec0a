/**
 * SIGINT and SIGTERM during a training command: the run stops after its
 * current step and saves (a second signal stops at once, saving nothing; the
 * last save stays whole, the atomic write sees to that); `flm` then exits
 * 128 + the signal number (130, 143). A signal that arrives while no run is
 * training (during set-up) stops the command at once: there is nothing to save.
 */
import { constants } from 'node:os';

/** A run that stops after its current step, saving (Run.pause). */
export interface Pausable { pause(): void }

/** The training was stopped by a signal; `flm` exits 128 + its number. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(readonly signal: NodeJS.Signals, message: string) {
    super(message);
  }

  get exitCode(): number {
    return 128 + (constants.signals[this.signal] ?? 0);
  }
}

let received: NodeJS.Signals | null = null;
let target: Pausable | null = null;
let installed = false;

/** Catch SIGINT and SIGTERM from now on (training commands call this before their set-up). */
export function catchInterrupts(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (received) {
        process.stderr.write(`\nflm: ${signal} again: stopping now without saving\n`);
        process.exit(128 + constants.signals[signal]);
      }
      if (!target) {
        // Nothing is training (set-up, or the end): nothing to save.
        process.stderr.write(`\nflm: ${signal}: stopped (no training step had started, nothing saved)\n`);
        process.exit(128 + constants.signals[signal]);
      }
      received = signal;
      process.stderr.write(`\nflm: ${signal}: stopping after the current step and saving (${signal} again stops at once)\n`);
      target.pause();
    });
  }
}

/** The run a signal pauses (null: none is training). */
export function pauseOnInterrupt(run: Pausable | null): void {
  target = run;
}

/** The signal received so far, if any. */
export function interruptSignal(): NodeJS.Signals | null {
  return received;
}
