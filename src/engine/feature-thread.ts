import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { MarketEvent } from '../core/index.js';
import { objectArray } from '../core/object-array.js';
import type { Config } from '../config.js';
import { columnBuffers, EventColumnBuilder, type EventColumns } from '../market-data/event-columns.js';
import { startModuleWorker } from '../market-data/module-worker.js';
import { READER_THREAD_MIN_BYTES, readerColumns } from '../market-data/reader-thread.js';
import { expandPaths } from '../market-data/replay.js';
import type { PackedFeatureBatches } from '../../streams/index.js';
import type { PipelineCounters } from './market-pipeline.js';
import type { PrecomputedFeatures } from './precomputed-features.js';

/** What the engine's thread tells the feature thread: the next events (as columns), or their end. */
export type ToFeatureThread =
  | { readonly type: 'start'; readonly config: Config }
  | { readonly type: 'events'; readonly columns: EventColumns; readonly spent: readonly SpentBuffers[] }
  | { readonly type: 'end' };
/** A packed block's arrays, read and given back. */
export interface SpentBuffers {
  readonly heads: ArrayBuffer;
  readonly rows: ArrayBuffer;
}
/** Its answer to each of events and end, in order: the batches those events emitted (at the end, the last one and the counters). */
export type FromFeatureThread =
  | { readonly type: 'features'; readonly packed: PackedFeatureBatches; readonly columns?: EventColumns; readonly counters?: PipelineCounters }
  | { readonly type: 'error'; readonly name: string; readonly message: string };

/**
 * Input batches a feature thread may be working on ahead of the engine: one queued behind the one it
 * computes keeps it busy while the engine trades the batch before. More held the engine's events longer
 * (promoted, then collected late): with 4, the candles from the files peaked at 320-330 MB against
 * 267-269 with 1 or 2.
 */
const AHEAD = 2;

/**
 * Whether a backtest of the data at `paths` computes its features in a thread (withFeatureThread): with a
 * core for each of the three threads a backtest of files then runs (the reader thread, the engine, the
 * features), and for data as large as what is read in a reader thread (READER_THREAD_MIN_BYTES), below
 * which starting the thread costs more than it saves. On two cores the three threads share them: the
 * files' run was no faster (233,799 events/s against 256,482 without it, quiet bench runs) and its peak
 * RSS went from about 202 to 328 MB, past the 300 MB target (docs/benchmarks.md). COINRX_FEATURE_THREAD=1
 * always, =0 never.
 */
export async function useFeatureThread(paths: readonly string[], env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): Promise<boolean> {
  const forced = env['COINRX_FEATURE_THREAD'];
  if (forced === '0' || forced === '1') return forced === '1';
  if (cores < 3) return false;
  let bytes = 0;
  for (const { file } of await expandPaths(paths).catch(() => [])) {
    bytes += await stat(file).then((s) => s.size, () => 0);
    if (bytes >= READER_THREAD_MIN_BYTES) return true;
  }
  return false;
}

/**
 * One feature thread (feature-worker.ts), kept between runs: a thread of its own compiles the features'
 * code anew, and a run in a new thread each time paid that (and the thread's start) every run.
 */
class FeatureWorker {
  readonly #worker: Worker;
  readonly #answers: { resolve(m: FromFeatureThread): void; reject(e: Error): void }[] = [];
  #failed: Error | undefined;

  constructor() {
    this.#worker = startModuleWorker(import.meta.url, 'feature-worker', undefined);
    const fail = (error: Error): void => {
      this.#failed ??= error;
      for (const a of this.#answers.splice(0)) a.reject(error);
    };
    this.#worker.on('message', (m: FromFeatureThread) => this.#answers.shift()?.resolve(m));
    this.#worker.on('error', fail);
    this.#worker.on('exit', () => fail(new Error('the feature thread ended before the run')));
    // The thread keeps the process alive only while a run waits for it (see reader-thread.ts).
    this.#worker.unref();
  }

  /** Whether it may serve another run: nothing failed and every answer came. */
  get reusable(): boolean {
    return this.#failed === undefined && this.#answers.length === 0;
  }

  post(message: ToFeatureThread, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  ask(message: ToFeatureThread, transfer: ArrayBuffer[] = []): Promise<FromFeatureThread> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#answers.push({ resolve, reject });
      this.#worker.postMessage(message, transfer);
    });
  }

  async wait<T>(answer: Promise<T>): Promise<T> {
    this.#worker.ref();
    try {
      return await answer;
    } finally {
      this.#worker.unref();
    }
  }

  async stop(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

/** Feature threads between runs (one, unless runs overlapped). */
const idle: FeatureWorker[] = [];

/**
 * A backtest's events with their features computed in a thread of their own (feature-worker.ts: the
 * engine's own pipeline, fed the same events), so that the engine's thread runs only the ranking, the
 * strategy, the positions and the venue: the features depend on the events alone, never on the engine's
 * state. Yields the batches of `batches` unchanged, each once the features its events emit have been
 * added to `features` (which the engine is given: see PrecomputedFeatures), and the run's last, partial
 * batch once the input ends. A run stopped early (a break, an error) gets no last, partial batch (the
 * thread computed it from events that were not fed), and its thread is stopped.
 */
export async function* withFeatureThread(batches: AsyncIterable<readonly MarketEvent[]> | Iterable<readonly MarketEvent[]>, config: Config, features: PrecomputedFeatures): AsyncGenerator<readonly MarketEvent[]> {
  const worker = idle.pop() ?? new FeatureWorker();
  worker.post({ type: 'start', config });
  // The arrays go back and forth (columns there and back, packed batches back and there) instead of new
  // ones a batch: the arrays' memory lies outside the heap, and allocating a few megabytes of it a batch
  // set off full collections of the whole heap (the engine's, with every event of an in-memory run).
  const builder = new EventColumnBuilder();
  const spareColumns: EventColumns[] = [];
  const post = (events: readonly MarketEvent[]): Promise<FromFeatureThread> => {
    // A batch a reader thread read (from the files) comes with its columns: copied, not written again an
    // event at a time.
    const fromReader = readerColumns(events);
    if (fromReader !== undefined) builder.copy(fromReader, spareColumns.pop());
    else {
      builder.start(events.length, spareColumns.pop());
      for (let i = 0; i < events.length; i++) builder.push(events[i] as MarketEvent);
    }
    const columns = builder.handOver();
    // The lists in arrays of the generic kind from the start (objectArray), filled by a loop: spreads and `map`
    // of a list that is sometimes empty (the first batches: no block read yet) gave arrays of two kinds, and the
    // compiled code of this function was thrown away (deoptimised) at a post a block, up to 170 a run.
    const spent = objectArray<SpentBuffers>();
    const transfer = objectArray<ArrayBuffer>();
    for (const buffer of columnBuffers(columns)) transfer.push(buffer);
    const read = features.spent;
    for (let i = 0; i < read.length; i++) {
      const p = read[i] as PackedFeatureBatches;
      const heads = p.heads.buffer as ArrayBuffer;
      const rows = p.rows.buffer as ArrayBuffer;
      spent.push({ heads, rows });
      transfer.push(heads, rows);
    }
    read.length = 0;
    return worker.ask({ type: 'events', columns, spent }, transfer);
  };
  const iterator = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();
  const pending: { readonly events: readonly MarketEvent[] | undefined; readonly answer: Promise<FromFeatureThread> }[] = [];
  let ended = false;
  let done = false;
  try {
    for (;;) {
      while (!ended && pending.length < AHEAD) {
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          pending.push({ events: undefined, answer: worker.ask({ type: 'end' }) });
        } else pending.push({ events: next.value, answer: post(next.value) });
      }
      const head = pending.shift();
      if (head === undefined) {
        done = true;
        return;
      }
      // Not yet taken: an answer that failed (the thread's error) must not be left unhandled meanwhile.
      for (const p of pending) p.answer.catch(() => undefined);
      const answer = await worker.wait(head.answer);
      if (answer.type === 'error') {
        const error = new Error(answer.message);
        error.name = answer.name;
        throw error;
      }
      features.add(answer.packed);
      if (answer.columns) spareColumns.push(answer.columns);
      if (answer.counters) features.setCounters(answer.counters);
      if (head.events !== undefined) yield head.events;
    }
  } finally {
    if (done && worker.reusable) idle.push(worker);
    else await worker.stop();
    if (!ended) await iterator.return?.();
  }
}
