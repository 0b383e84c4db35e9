import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureSelection } from './output.js';
import { PackedRowJson } from './packed-row-json.js';
import type { PackedBatch } from './snapshot-rows.js';

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
 * (snapshot-rows.ts), goes back as the bytes JSON.stringify writes for it (packed-row-json.ts), and the
 * main thread writes the batches in order (parallel-json-writer.ts).
 */
const job = workerData as JsonLinesJob | undefined;
const port = parentPort;
if (port && job?.kind === 'coinrx-json-lines') {
  const lines = new PackedRowJson(job.selection);
  // Memory the main thread wrote from and handed back: the next batches are encoded into it, not into new
  // pages the kernel must fault in and zero.
  const spare: ArrayBuffer[] = [];
  port.on('message', (command: JsonLinesCommand) => {
    if (command.type === 'recycle') {
      if (spare.length < 4) spare.push(command.buffer);
      return;
    }
    try {
      let out = new Uint8Array(spare.pop() ?? new ArrayBuffer(FIRST_BYTES));
      const before = lines.chars;
      let at = lines.write(command.batch, out, 0);
      // Too little room: the batch again into a buffer twice the size (the old one is dropped, as it is too small to reuse).
      while (at < 0) {
        out = new Uint8Array(new ArrayBuffer(2 * out.length));
        at = lines.write(command.batch, out, 0);
      }
      const bytes = new Uint8Array(out.buffer, 0, at);
      const rows = command.batch.rows;
      port.postMessage({ type: 'formatted', seq: command.seq, bytes, rows, lines: command.batch.count, chars: lines.chars - before } satisfies JsonLinesReply, [out.buffer as ArrayBuffer, rows.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies JsonLinesReply);
    }
  });
}
