import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { snapshotSerializer, type FeatureSelection } from './output.js';
import { SnapshotUnpacker, type PackedBatch } from './snapshot-rows.js';

/** What the worker is given: the open file to write and what of each snapshot. */
export interface JsonLinesJob {
  readonly kind: 'coinrx-json-lines';
  readonly fd: number;
  readonly selection: FeatureSelection;
}

/** To the worker: a batch to write, or the end. */
export type JsonLinesCommand = { readonly type: 'batch'; readonly batch: PackedBatch } | { readonly type: 'end' };
/** From the worker: a batch written (its lines and characters), the end reached, or a failure. */
export type JsonLinesReply = { readonly type: 'written'; readonly lines: number; readonly chars: number } | { readonly type: 'done' } | { readonly type: 'error'; readonly message: string };

/**
 * The JSON lines of feature snapshots, serialised and written in a worker thread while the main thread
 * computes the next ones: formatting the numbers is most of an export's time, and the machine has a
 * second core. Each batch arrives packed (snapshot-rows.ts) and goes out as JSON.stringify writes it.
 */
const job = workerData as JsonLinesJob | undefined;
const port = parentPort;
if (port && job?.kind === 'coinrx-json-lines') {
  const serialize = snapshotSerializer(job.selection);
  const unpacker = new SnapshotUnpacker();
  port.on('message', (command: JsonLinesCommand) => {
    try {
      if (command.type === 'end') {
        port.postMessage({ type: 'done' } satisfies JsonLinesReply);
        return;
      }
      const lines: string[] = [];
      unpacker.unpack(command.batch, (s) => lines.push(serialize(s)));
      const text = `${lines.join('\n')}\n`;
      const bytes = Buffer.from(text, 'utf8');
      for (let at = 0; at < bytes.length; ) at += writeSync(job.fd, bytes, at);
      port.postMessage({ type: 'written', lines: lines.length, chars: text.length } satisfies JsonLinesReply);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies JsonLinesReply);
    }
  });
}
