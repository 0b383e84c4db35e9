import { parentPort, workerData } from 'node:worker_threads';
import { SNAPSHOT_FIELDS, WINDOW_STATS, type FeatureSelection } from './output.js';
import { WINDOWS } from '../core/index.js';
import { SnapshotUnpacker, type PackedBatch } from './snapshot-rows.js';

/** What a worker is given: what of each snapshot to write. */
export interface JsonLinesJob {
  readonly kind: 'coinrx-json-lines';
  readonly selection: FeatureSelection;
}

/**
 * To a worker: a batch to format (its place in the file, and every table entry first seen since this
 * worker's last batch), or the memory of bytes it sent, written and handed back.
 */
export type JsonLinesCommand = { readonly type: 'batch'; readonly seq: number; readonly batch: PackedBatch } | { readonly type: 'recycle'; readonly buffer: ArrayBuffer };
/** From a worker: a batch's lines as UTF-8 bytes (and the batch's rows, handed back to pack the next ones in), or a failure. */
export type JsonLinesReply =
  | { readonly type: 'formatted'; readonly seq: number; readonly bytes: Uint8Array; readonly rows: Float64Array; readonly lines: number; readonly chars: number }
  | { readonly type: 'error'; readonly message: string };

/** A batch's first buffer (a batch of 4,096 lines of every field is about 5 MB; it grows when one needs more). */
const FIRST_BYTES = 8 * 2 ** 20;

/**
 * The JSON lines of feature snapshots, serialised in worker threads while the main thread computes the
 * next ones: formatting the numbers is most of an export's time. Each batch arrives packed
 * (snapshot-rows.ts), goes back as the bytes JSON.stringify writes for it, and the main thread writes the
 * batches in order (parallel-json-writer.ts).
 */
const job = workerData as JsonLinesJob | undefined;
const port = parentPort;
if (port && job?.kind === 'coinrx-json-lines') {
  const selection = job.selection;
  const everything = SNAPSHOT_FIELDS.every((f) => selection.fields.includes(f)) && selection.windows.length === WINDOWS.length && selection.stats.length === WINDOW_STATS.length;
  const unpacker = new SnapshotUnpacker();
  // Memory the main thread wrote from and handed back: the next batches are encoded into it, not into new
  // pages the kernel must fault in and zero.
  const spare: ArrayBuffer[] = [];
  port.on('message', (command: JsonLinesCommand) => {
    if (command.type === 'recycle') {
      if (spare.length < 4) spare.push(command.buffer);
      return;
    }
    try {
      let out = Buffer.from(spare.pop() ?? new ArrayBuffer(FIRST_BYTES));
      let at = 0;
      let lines = 0;
      let chars = 0;
      // Each line goes into the bytes as it is made (what snapshotSerializer writes: the whole snapshot, or the
      // selected part built straight from the rows): a batch's strings die young instead of being kept for a
      // join, which the young generation's copying made cost as much as the formatting.
      const push = (o: unknown): void => {
        const line = JSON.stringify(o);
        // UTF-8 takes at most three bytes a UTF-16 unit; the newline one.
        if (out.length - at < 3 * line.length + 1) {
          const grown = Buffer.from(new ArrayBuffer(2 * out.length + 3 * line.length + 1));
          out.copy(grown, 0, 0, at);
          out = grown;
        }
        at += out.write(line, at);
        out[at++] = 10;
        lines++;
        chars += line.length + 1;
      };
      if (everything) unpacker.unpack(command.batch, push);
      else unpacker.unpackSelected(command.batch, selection, push);
      const bytes = new Uint8Array(out.buffer, 0, at);
      const rows = command.batch.rows;
      port.postMessage({ type: 'formatted', seq: command.seq, bytes, rows, lines, chars } satisfies JsonLinesReply, [out.buffer as ArrayBuffer, rows.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies JsonLinesReply);
    }
  });
}
