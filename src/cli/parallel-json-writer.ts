import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeatureSnapshot } from '../core/index.js';
import type { JsonLinesCommand, JsonLinesJob, JsonLinesReply } from './json-lines-worker.js';
import type { FeatureSelection } from './output.js';
import { SnapshotPacker } from './snapshot-rows.js';

const ROWS_PER_BATCH = 4096;
/** Batches sent and not yet written: the main thread waits past this (memory stays flat). */
const MAX_IN_FLIGHT = 4;

/**
 * Feature snapshots to a JSON lines file through a worker thread (json-lines-worker.ts): the same bytes
 * as writing them here, in about the time of the slower of computing and formatting instead of both.
 * The file is opened here, so a bad path fails at once with its own error.
 */
export class ParallelJsonWriter {
  readonly #fd: number;
  readonly #worker: Worker;
  readonly #packer = new SnapshotPacker(ROWS_PER_BATCH);
  #inFlight = 0;
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  #done = false;
  /** Snapshots handed over. */
  lines = 0;
  /** Lines and characters the worker has written. */
  writtenLines = 0;
  chars = 0;

  constructor(path: string, selection: FeatureSelection) {
    this.#fd = openSync(path, 'w');
    const job: JsonLinesJob = { kind: 'coinrx-json-lines', fd: this.#fd, selection };
    this.#worker = new Worker(bootstrap(new URL('./json-lines-worker.ts', import.meta.url)), { eval: true, workerData: job });
    this.#worker.on('message', (reply: JsonLinesReply) => {
      if (reply.type === 'written') {
        this.#inFlight--;
        this.writtenLines += reply.lines;
        this.chars += reply.chars;
      } else if (reply.type === 'done') this.#done = true;
      else this.#failure = new Error(`writing the features failed: ${reply.message}`);
      this.#wake?.();
    });
    this.#worker.on('error', (error) => {
      this.#failure = error;
      this.#wake?.();
    });
  }

  write(s: FeatureSnapshot): void {
    if (!this.#packer.add(s)) {
      this.#send();
      this.#packer.add(s);
    }
    this.lines++;
  }

  async drain(): Promise<void> {
    // The first lines go out at once and are waited for: their size makes the estimate printed at start.
    const first = this.writtenLines === 0 && this.#inFlight === 0 && this.#packer.count > 0;
    if (first || this.#packer.count >= ROWS_PER_BATCH / 2) this.#send();
    await this.#until(() => this.#inFlight <= (first ? 0 : MAX_IN_FLIGHT));
  }

  async close(): Promise<void> {
    try {
      if (this.#packer.count > 0) this.#send();
      this.#worker.postMessage({ type: 'end' } satisfies JsonLinesCommand);
      await this.#until(() => this.#done);
    } finally {
      await this.#worker.terminate();
      closeSync(this.#fd);
    }
  }

  #send(): void {
    const batch = this.#packer.take();
    this.#inFlight++;
    this.#worker.postMessage({ type: 'batch', batch } satisfies JsonLinesCommand, [batch.rows.buffer as ArrayBuffer]);
  }

  async #until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    if (this.#failure) throw this.#failure;
  }
}

/**
 * The worker's entry: the compiled .js beside this file as it is, or the TypeScript through tsx (a
 * worker does not inherit the loader tsx registered in the main thread).
 */
function bootstrap(module: URL): string {
  if (import.meta.url.endsWith('.js')) return `import(${JSON.stringify(module.href.replace(/\.ts$/, '.js'))});`;
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(module.href)}); });`;
}
