import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** JSON lines to a file or stdout, with backpressure: `drain()` after each input batch keeps memory flat. */
export class LineWriter {
  readonly #out: Writable;
  readonly #ownsStream: boolean;
  #buffer: string[] = [];
  lines = 0;

  constructor(path: string | undefined, stdout: Writable) {
    this.#ownsStream = path !== undefined && path !== '-';
    this.#out = this.#ownsStream ? createWriteStream(path as string) : stdout;
  }

  write(value: unknown): void {
    this.#buffer.push(JSON.stringify(value));
    this.lines++;
  }

  async drain(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    if (!this.#out.write(text)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.#ownsStream) {
      this.#out.end();
      await once(this.#out, 'finish');
    }
  }
}
