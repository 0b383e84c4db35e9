/**
 * The entry of the replay's reader thread (see reader-thread.ts): reads, gunzips, parses and merges
 * the files as the replay does in its own thread, and posts each merged batch as columns in the next slot
 * of a ColumnRing (candle CSV parsed and merged straight into columns, no event objects; other formats'
 * events written into them), with the
 * stats as they stood when the batch was merged and the malformed records reported before it. At most
 * `inFlight` batches wait in the main thread; the stop flag ends the read (files closed) at once. The
 * thread ends when the read does: it listens to no message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FileStats, MalformedInfo } from './file-stats.js';
import { nextSlot } from './column-ring.js';
import { readMergedColumns } from './merged-read.js';
import { StatsSnapshotWriter } from './stats-snapshot.js';
import { STOP, TAKEN, type ReaderThreadData, type ToMain } from './reader-messages.js';

if (parentPort === null) throw new Error('replay-worker: not a worker thread');
const port = parentPort;
const { inputs, options, inFlight, resumeAt, flow: flowBuffer, ring } = workerData as ReaderThreadData;
const flow = new Int32Array(flowBuffer);
const stopped = (): boolean => Atomics.load(flow, STOP) === 1;
let posted = 0;
/** Waits while `inFlight` batches are untaken, until `resumeAt` are left or the read is stopped. */
async function drain(): Promise<void> {
  if (posted - Atomics.load(flow, TAKEN) < inFlight) return;
  // A pending Atomics.waitAsync does not keep a thread's event loop alive: a timer does.
  const alive = setInterval(() => undefined, 1 << 30);
  try {
    for (;;) {
      const taken = Atomics.load(flow, TAKEN);
      if (stopped() || posted - taken <= resumeAt) return;
      // Atomics.waitAsync is ES2024 (Node 16+); the compiler's lib is ES2022.
      const wait = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync(flow, TAKEN, taken);
      if (wait.async) await wait.value;
    }
  } finally {
    clearInterval(alive);
  }
}
const post = (message: ToMain): void => port.postMessage(message);
post({ type: 'ready' });

/** Not a top-level await: under the TypeScript the thread may load this file as CommonJS (reader-thread.ts). */
async function read(): Promise<void> {
  const stats: FileStats[][] = [];
  let malformed: MalformedInfo[] = [];
  const snapshots = new StatsSnapshotWriter();
  try {
    const batches = readMergedColumns(inputs, options, (info) => malformed.push(info), stats, nextSlot(ring));
    for await (const columns of batches) {
      if (stopped()) break;
      // The columns lie in the ring's shared memory: the message carries views of them, nothing copied.
      post({ type: 'batch', columns, stats: snapshots.snapshot(stats), malformed });
      malformed = [];
      posted++;
      await drain();
      if (stopped()) break;
    }
    if (!stopped()) post({ type: 'end', stats: snapshots.snapshot(stats), malformed });
  } catch (err) {
    const e = err as Error & { file?: unknown; partWay?: unknown };
    post({ type: 'error', error: { name: e.name, message: e.message, ...(typeof e.file === 'string' ? { file: e.file } : {}), ...(e.partWay === true ? { partWay: true } : {}) }, stats: snapshots.snapshot(stats), malformed });
  }
}

void read();
