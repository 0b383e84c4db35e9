import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeatureSnapshot } from '../core/index.js';
import type { JsonLinesCommand, JsonLinesJob, JsonLinesReply } from './json-lines-worker.js';
import type { FeatureSelection } from './output.js';
import { SnapshotPacker, type PackedBatch } from './snapshot-rows.js';

const ROWS_PER_BATCH = 4096;
/** Batches sent to each worker and not yet written: the main thread waits past this (memory stays flat). */
const MAX_IN_FLIGHT_PER_WORKER = 4;

/** One formatting thread and the table entries (market names, regime records) it has been sent. */
interface Formatter {
  readonly worker: Worker;
  markets: number;
  regimes: number;
}

/**
 * Feature snapshots to a JSON lines file, formatted in worker threads (json-lines-worker.ts): the same
 * bytes as writing them here, in about the time of the slower of computing and formatting instead of
 * both. Formatting the numbers is the larger part, so it is split: batches go to the workers in turn
 * (two, one on a single-core machine), each sends its batch's bytes back, and they are written here in
 * batch order. The file is opened here, so a bad path fails at once with its own error.
 */
export class ParallelJsonWriter {
  readonly #fd: number;
  readonly #formatters: Formatter[];
  readonly #packer = new SnapshotPacker(ROWS_PER_BATCH);
  /** Every table entry the packer has handed out, in order: each worker is sent the ones it has not seen. */
  readonly #markets: string[] = [];
  readonly #regimes: Readonly<Record<string, string>>[] = [];
  /** Formatted batches that arrived before the one the file needs next, by place. */
  readonly #ready = new Map<number, { bytes: Uint8Array; lines: number; chars: number; formatter: Formatter }>();
  #sent = 0;
  #written = 0;
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  /** Snapshots handed over. */
  lines = 0;
  /** Lines and characters written to the file. */
  writtenLines = 0;
  chars = 0;

  constructor(path: string, selection: FeatureSelection, threads = Math.min(2, availableParallelism())) {
    this.#fd = openSync(path, 'w');
    const job: JsonLinesJob = { kind: 'coinrx-json-lines', selection };
    const code = bootstrap(new URL('./json-lines-worker.ts', import.meta.url));
    this.#formatters = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(code, { eval: true, workerData: job });
      const formatter: Formatter = { worker, markets: 0, regimes: 0 };
      worker.on('message', (reply: JsonLinesReply) => this.#onReply(formatter, reply));
      worker.on('error', (error) => this.#fail(error));
      return formatter;
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
    const first = this.writtenLines === 0 && this.#sent === 0 && this.#packer.count > 0;
    if (first || this.#packer.count >= ROWS_PER_BATCH / 2) this.#send();
    const limit = first ? 0 : MAX_IN_FLIGHT_PER_WORKER * this.#formatters.length;
    await this.#until(() => this.#sent - this.#written <= limit);
  }

  async close(): Promise<void> {
    try {
      if (this.#packer.count > 0) this.#send();
      await this.#until(() => this.#written === this.#sent);
    } finally {
      await Promise.all(this.#formatters.map((f) => f.worker.terminate()));
      closeSync(this.#fd);
    }
  }

  #send(): void {
    const batch = this.#packer.take();
    this.#markets.push(...batch.markets);
    this.#regimes.push(...batch.regimes);
    const seq = this.#sent++;
    const formatter = this.#formatters[seq % this.#formatters.length] as Formatter;
    const own: PackedBatch = { rows: batch.rows, count: batch.count, markets: this.#markets.slice(formatter.markets), regimes: this.#regimes.slice(formatter.regimes) };
    formatter.markets = this.#markets.length;
    formatter.regimes = this.#regimes.length;
    formatter.worker.postMessage({ type: 'batch', seq, batch: own } satisfies JsonLinesCommand, [batch.rows.buffer as ArrayBuffer]);
  }

  #onReply(formatter: Formatter, reply: JsonLinesReply): void {
    if (reply.type === 'error') return this.#fail(new Error(`writing the features failed: ${reply.message}`));
    this.#packer.recycle(reply.rows);
    this.#ready.set(reply.seq, { ...reply, formatter });
    try {
      for (let next = this.#ready.get(this.#written); next !== undefined; next = this.#ready.get(this.#written)) {
        this.#ready.delete(this.#written);
        for (let at = 0; at < next.bytes.length; ) at += writeSync(this.#fd, next.bytes, at);
        // Written: the memory goes back to the thread that formatted into it.
        next.formatter.worker.postMessage({ type: 'recycle', buffer: next.bytes.buffer as ArrayBuffer } satisfies JsonLinesCommand, [next.bytes.buffer as ArrayBuffer]);
        this.#written++;
        this.writtenLines += next.lines;
        this.chars += next.chars;
      }
    } catch (error) {
      return this.#fail(error as Error);
    }
    this.#wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
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
