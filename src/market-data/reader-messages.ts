import type { ColumnSlot } from './column-ring.js';
import type { EventColumns } from './event-columns.js';
import type { MalformedInfo } from './file-stats.js';
import type { ReadInput, ReadOptions } from './merged-read.js';
import type { StatsSnapshot } from './stats-snapshot.js';

/** What the replay's reader thread is started with. */
export interface ReaderThreadData {
  readonly inputs: readonly ReadInput[];
  readonly options: ReadOptions;
  /** Batches posted and not yet taken by the main thread, at most; once there, posting resumes when `resumeAt` are left. */
  readonly inFlight: number;
  readonly resumeAt: number;
  /** Int32 [batches taken by the main thread, stop (1)]: shared, so taking a batch sends no message and wakes the thread only when it waits. */
  readonly flow: SharedArrayBuffer;
  /** The arrays the batches are merged into, a slot a batch in turn: `inFlight` slots, a batch taken only once read. */
  readonly ring: readonly ColumnSlot[];
}

export const TAKEN = 0;
export const STOP = 1;

/** An error of the read, as plain data (a ReplayFileError names its file). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly file?: string;
  /** A ReplayFileError's `partWay`. */
  readonly partWay?: boolean;
}

/**
 * The reader thread's messages. Each carries the files' stats as they stood when it was sent and the
 * malformed records reported since the previous one, so the main thread sees what a read in its own
 * thread would have at that point.
 */
export type ToMain =
  | { readonly type: 'ready' }
  | { readonly type: 'batch'; readonly columns: EventColumns; readonly stats: StatsSnapshot; readonly malformed: MalformedInfo[] }
  | { readonly type: 'end'; readonly stats: StatsSnapshot; readonly malformed: MalformedInfo[] }
  | { readonly type: 'error'; readonly error: ThreadError; readonly stats: StatsSnapshot; readonly malformed: MalformedInfo[] };
