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
  const encoder = new TextEncoder();
  // Memory the main thread wrote from and handed back: the next batches are encoded into it, not into new
  // pages the kernel must fault in and zero.
  const spare: ArrayBuffer[] = [];
  port.on('message', (command: JsonLinesCommand) => {
    if (command.type === 'recycle') {
      if (spare.length < 4) spare.push(command.buffer);
      return;
    }
    try {
      const lines: string[] = [];
      // What snapshotSerializer writes: the whole snapshot, or the selected part built straight from the rows.
      const push = (o: unknown): void => void lines.push(JSON.stringify(o));
      if (everything) unpacker.unpack(command.batch, push);
      else unpacker.unpackSelected(command.batch, selection, push);
      const text = `${lines.join('\n')}\n`;
      // UTF-8 takes at most three bytes a UTF-16 unit.
      let buffer = spare.pop();
      if (buffer === undefined || buffer.byteLength < 3 * text.length) buffer = new ArrayBuffer(3 * text.length);
      const bytes = new Uint8Array(buffer, 0, encoder.encodeInto(text, new Uint8Array(buffer)).written);
      const rows = command.batch.rows;
      port.postMessage({ type: 'formatted', seq: command.seq, bytes, rows, lines: lines.length, chars: text.length } satisfies JsonLinesReply, [buffer, rows.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies JsonLinesReply);
    }
  });
}
