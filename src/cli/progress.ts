import { fmtTime } from '../util/format.ts';

/** A one-line progress bar for terminals (rewritten in place), or periodic lines when not a TTY. */
export class ProgressLine {
  private readonly t0 = performance.now();
  private lastPrint = 0;
  constructor(private readonly total: number, private readonly write: (s: string) => void, private readonly tty = Boolean(process.stderr.isTTY)) {}

  update(done: number, info: string): void {
    const now = performance.now();
    const elapsed = (now - this.t0) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const frac = this.total > 0 ? done / this.total : 1;
    const width = 24, filled = Math.round(frac * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${info} ETA ${fmtTime(eta)}`;
    if (this.tty) this.write(`\r${line}\x1b[K`);
    else if (now - this.lastPrint > 5000 || done === this.total) {
      this.write(`${line}\n`);
      this.lastPrint = now;
    }
  }

  finish(): void {
    if (this.tty) this.write('\n');
  }
}
