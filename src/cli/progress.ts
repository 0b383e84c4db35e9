import type { Writable } from 'node:stream';

/**
 * A one-line progress bar on a terminal (nothing when not a TTY, so logs and CI stay clean).
 * Redraws at most every `intervalMs` of wall time: drawing must not slow the work it reports.
 */
export class ProgressBar {
  #last = 0;
  #drawn = false;
  readonly #started = Date.now();

  constructor(
    private readonly out: Writable,
    private readonly enabled: boolean,
    private readonly label: string,
    private readonly intervalMs = 200,
  ) {}

  /** `fraction` in [0, 1]; `detail` is shown after the bar (e.g. the event time reached). */
  update(fraction: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#last < this.intervalMs) return;
    this.#last = now;
    const clamped = Math.min(1, Math.max(0, fraction));
    const width = 30;
    const filled = Math.round(clamped * width);
    const elapsed = (now - this.#started) / 1000;
    const eta = clamped > 0 ? (elapsed / clamped) * (1 - clamped) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    this.out.write(`\r${this.label} ${bar} ${(clamped * 100).toFixed(1).padStart(5)}% ${detail}  eta ${eta.toFixed(0)}s   `);
    this.#drawn = true;
  }

  /** For work of unknown length: a line of counts, no bar. */
  status(detail: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#last < this.intervalMs) return;
    this.#last = now;
    this.out.write(`\r${this.label} ${detail}  ${((now - this.#started) / 1000).toFixed(0)}s   `);
    this.#drawn = true;
  }

  done(message = ''): void {
    if (!this.enabled) return;
    if (this.#drawn) this.out.write('\r\x1b[2K');
    if (message) this.out.write(`${message}\n`);
  }
}
