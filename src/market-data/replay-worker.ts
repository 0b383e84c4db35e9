/**
 * The entry of the replay's reader thread (see reader-thread.ts): reads, gunzips, parses and merges
 * the files as the replay does in its own thread, and posts each merged batch as columns, with the
 * stats as they stood when the batch was merged and the malformed records reported before it. At most
 * `inFlight` batches wait in the main thread; a `stop` ends the read (files closed) at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FileStats, MalformedInfo } from './file-reader.js';
import { columnBuffers, EventColumnWriter } from './event-columns.js';
import { readMerged } from './merged-read.js';
import { StatsSnapshotWriter } from './stats-snapshot.js';
import type { ReaderThreadData, ToMain } from './reader-messages.js';

if (parentPort === null) throw new Error('replay-worker: not a worker thread');
const port = parentPort;
const { inputs, options, inFlight } = workerData as ReaderThreadData;

let unacknowledged = 0;
let stopped = false;
let wake: (() => void) | undefined;
const onMessage = (message: 'ack' | 'stop'): void => {
  if (message === 'ack') unacknowledged--;
  else stopped = true;
  wake?.();
};
port.on('message', onMessage);
const post = (message: ToMain, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);
post({ type: 'ready' });

/** Not a top-level await: under the TypeScript the thread may load this file as CommonJS (reader-thread.ts). */
async function read(): Promise<void> {
  const stats: FileStats[][] = [];
  let malformed: MalformedInfo[] = [];
  const writer = new EventColumnWriter();
  const snapshots = new StatsSnapshotWriter();
  try {
    const batches = readMerged(inputs, options, (info) => malformed.push(info), stats);
    for await (const batch of batches) {
      if (stopped) break;
      const columns = writer.write(batch);
      post({ type: 'batch', columns, stats: snapshots.snapshot(stats), malformed }, columnBuffers(columns));
      malformed = [];
      unacknowledged++;
      while (unacknowledged >= inFlight && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      if (stopped) break;
    }
    if (!stopped) post({ type: 'end', stats: snapshots.snapshot(stats), malformed });
  } catch (err) {
    const e = err as Error & { file?: unknown };
    post({ type: 'error', error: { name: e.name, message: e.message, ...(typeof e.file === 'string' ? { file: e.file } : {}) }, stats: snapshots.snapshot(stats), malformed });
  } finally {
    // Nothing more to hear: the thread ends once its posts are delivered.
    port.off('message', onMessage);
  }
}

void read();
