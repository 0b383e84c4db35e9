import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { MarketEvent } from '../core/index.js';
import { InputError } from '../core/input-error.js';
import { columnRing } from './column-ring.js';
import { EventColumnReader, type EventColumns } from './event-columns.js';
import { OUT_BATCH } from './merge.js';
import { startModuleWorker } from './module-worker.js';
import type { FileStats, MalformedInfo } from './file-stats.js';
import type { ReadInput, ReadOptions } from './merged-read.js';
import { STOP, TAKEN, type ReaderThreadData, type ThreadError, type ToMain } from './reader-messages.js';
import { statsFromSnapshot } from './stats-snapshot.js';
import { ReplayFileError } from './text-source.js';

/**
 * Inputs of at least this many bytes in all are read in a thread of their own; smaller ones in the
 * caller's, where starting a thread (about 50 ms compiled, 110 ms of CPU under tsx) would cost more
 * than the read. COINRX_READ_THREAD=1 reads every replay in a thread, =0 none.
 */
export const READER_THREAD_MIN_BYTES = 4 * 1024 * 1024;
/**
 * Batches the thread may have posted before the main thread takes them: read-ahead, bounded. Then it
 * waits until RESUME_AT are left, so that it is woken once for several batches, not for each.
 */
// 16 batches (about 1 MB of columns for the 30-coin candles) absorb the thread losing its core for a
// while: against 4, the candles from the files ran about 7 % faster (7 of 8 alternating runs).
const IN_FLIGHT = 16;
const RESUME_AT = 8;
/** How long a stopped thread gets to close its files before it is terminated. */
const STOP_GRACE_MS = 2_000;

/** Whether to read these inputs in a reader thread (see READER_THREAD_MIN_BYTES). */
export async function useReaderThread(inputs: readonly ReadInput[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const forced = env['COINRX_READ_THREAD'];
  if (forced === '0' || forced === '1') return forced === '1';
  let bytes = 0;
  for (const input of inputs) {
    // Synchronous, as expandPaths is; a file that cannot be read counts nothing here (its read says why).
    try {
      bytes += statSync(input.file).size;
    } catch {
      // unreadable: counts nothing
    }
    if (bytes >= READER_THREAD_MIN_BYTES) return true;
  }
  return false;
}

export interface ReaderThreadHooks {
  /** The files' stats as they stood when the batch about to be yielded was merged (built when called). */
  onStats(stats: () => FileStats[][]): void;
  onMalformed(info: MalformedInfo): void;
  /** The read in the caller's thread, used when the reader thread cannot start. */
  fallback(): AsyncGenerator<MarketEvent[]>;
}

/**
 * The replay's merged batches, read, gunzipped, parsed and merged in a worker thread (replay-worker.ts)
 * and rebuilt here from columns: the same events, in the same batches, with the same stats and
 * malformed reports along the way, as the read in this thread. Stopping early (a break, an error)
 * stops the thread; a thread that cannot start falls back to `hooks.fallback`.
 */
export async function* readerThreadBatches(inputs: readonly ReadInput[], options: ReadOptions, hooks: ReaderThreadHooks): AsyncGenerator<MarketEvent[]> {
  const flowBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const flow = new Int32Array(flowBuffer);
  const data: ReaderThreadData = { inputs, options, inFlight: IN_FLIGHT, resumeAt: RESUME_AT, flow: flowBuffer, ring: columnRing(IN_FLIGHT, OUT_BATCH) };
  let worker: Worker;
  try {
    worker = startModuleWorker(import.meta.url, 'replay-worker', data);
  } catch {
    yield* hooks.fallback();
    return;
  }
  const queue: (ToMain | { type: 'crash'; error: Error } | { type: 'exit' })[] = [];
  let wake: (() => void) | undefined;
  const push = (m: (typeof queue)[number]): void => {
    queue.push(m);
    wake?.();
  };
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      push({ type: 'exit' });
      resolve();
    }),
  );
  worker.on('message', (m: ToMain) => {
    if (m.type === 'batch') received++;
    push(m);
  });
  worker.on('error', (error: Error) => push({ type: 'crash', error }));
  // The thread keeps the process alive only while this side waits for it: a consumer that drops the
  // iterator without closing it leaves no thread holding the process open.
  worker.unref();
  const next = async (): Promise<(typeof queue)[number]> => {
    while (queue.length === 0) {
      worker.ref();
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      worker.unref();
    }
    return queue.shift() as (typeof queue)[number];
  };
  const reader = new EventColumnReader();
  let received = 0;
  let shape: FileStats[][] = [];
  let started = false;
  let finished = false;
  try {
    for (;;) {
      const m = await next();
      if (m.type === 'ready') {
        started = true;
        continue;
      }
      if (m.type === 'crash' || m.type === 'exit') {
        finished = true;
        if (!started) {
          yield* hooks.fallback();
          return;
        }
        throw new Error(`the replay's reader thread ${m.type === 'crash' ? `failed: ${m.error.message}` : 'ended without finishing the read'}`);
      }
      if (m.stats.shape !== undefined) shape = m.stats.shape;
      const { counts } = m.stats;
      const lastShape = shape;
      hooks.onStats(() => statsFromSnapshot(lastShape, counts));
      for (const info of m.malformed) hooks.onMalformed(info);
      if (m.type === 'end') {
        finished = true;
        return;
      }
      if (m.type === 'error') {
        finished = true;
        throw rebuildError(m.error);
      }
      const events = reader.read(m.columns);
      // The slot is counted taken only once the consumer asks for the next batch (the thread may then write
      // it again): until then the batch's columns can be had from it (readerColumns).
      slotColumns.set(events, m.columns);
      try {
        yield events;
      } finally {
        slotColumns.delete(events);
      }
      // The thread is woken only when it may be waiting (no more than RESUME_AT batches left here).
      const taken = Atomics.add(flow, TAKEN, 1) + 1;
      if (received - taken <= RESUME_AT) Atomics.notify(flow, TAKEN);
    }
  } finally {
    if (!exited) {
      if (!finished) {
        Atomics.store(flow, STOP, 1);
        Atomics.notify(flow, TAKEN);
      }
      worker.ref();
      const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    }
  }
}

/** Each batch a reader thread's read yielded, while its consumer holds it: the columns it was read from (see readerColumns). */
const slotColumns = new WeakMap<readonly MarketEvent[], EventColumns>();

/**
 * The columns a batch of readerThreadBatches was read from, in the ring's shared memory: the same events
 * (others, new market names and market numbers as the thread numbered them: in the order each market first
 * appears in the read), for a consumer that hands them on as columns (a feature thread: see
 * withFeatureThread) instead of writing the events into columns again. Undefined for any other batch, and
 * once the consumer has asked for the next one (the thread may then write the slot again): copy them first.
 */
export function readerColumns(batch: readonly MarketEvent[]): EventColumns | undefined {
  return slotColumns.get(batch);
}

/** The read's error as the read in this thread would have thrown it. */
function rebuildError(e: ThreadError): Error {
  let error: Error;
  if (e.name === 'ReplayFileError' && e.file !== undefined) {
    error = new ReplayFileError(e.file, '', { partWay: e.partWay === true });
    error.message = e.message;
  } else if (e.name === 'InputError') error = new InputError(e.message);
  else {
    error = new Error(e.message);
    error.name = e.name;
  }
  return error;
}
