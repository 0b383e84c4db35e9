import { parentPort, workerData } from 'node:worker_threads';
import { SNAPSHOT_FIELDS, WINDOW_STATS, type FeatureSelection } from './output.js';
import { WINDOWS } from '../core/index.js';
import { SnapshotUnpacker, type PackedBatch } from './snapshot-rows.js';

/** What a worker is given: what of each snapshot to write. */
export interface JsonLinesJob {
  readonly kind: 'coinrx-json-lines';
  readonly selection: FeatureSelection;
}

/** To a worker: a batch to format (its place in the file, and every table entry first seen since this worker's last batch). */
export interface JsonLinesCommand {
  readonly seq: number;
  readonly batch: PackedBatch;
}
/** From a worker: a batch's lines as UTF-8 bytes, or a failure. */
export type JsonLinesReply =
  | { readonly type: 'formatted'; readonly seq: number; readonly bytes: Uint8Array; readonly lines: number; readonly chars: number }
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
  port.on('message', (command: JsonLinesCommand) => {
    try {
      const lines: string[] = [];
      // What snapshotSerializer writes: the whole snapshot, or the selected part built straight from the rows.
      const push = (o: unknown): void => void lines.push(JSON.stringify(o));
      if (everything) unpacker.unpack(command.batch, push);
      else unpacker.unpackSelected(command.batch, selection, push);
      const text = `${lines.join('\n')}\n`;
      const bytes = Buffer.from(text, 'utf8');
      // The Buffer may sit in Node's shared pool: a copy of its own is what can be transferred.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
      port.postMessage({ type: 'formatted', seq: command.seq, bytes: own, lines: lines.length, chars: text.length } satisfies JsonLinesReply, [own.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies JsonLinesReply);
    }
  });
}
