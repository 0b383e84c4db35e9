/**
 * The entry of a backtest's feature thread (see feature-thread.ts): for each run (`start`), the engine's
 * pipeline up to its feature batches (packedPipeline: marketPipeline's batches, packed as they are taken),
 * fed the events the engine is fed, as the kernel feeds them (an event older than the last one at the last
 * one's time), answering each block of events with the batches it emitted, packed, each dated by the
 * number of events before the one that emitted it.
 */
import { parentPort } from 'node:worker_threads';
import type { MarketEvent } from '../core/index.js';
import type { Config } from '../config.js';
import { columnBuffers, EventColumnReader } from '../market-data/event-columns.js';
import { FeatureBatchPacker, packedBuffers } from '../../streams/packed-features.js';
import { EventFeed } from './event-feed.js';
import type { FromFeatureThread, ToFeatureThread } from './feature-thread.js';
import { packedPipeline, type PipelineCounters } from './market-pipeline.js';

if (parentPort === null) throw new Error('feature-worker: not a worker thread');
const port = parentPort;

/** One run's pipeline: the events fed, the last one's time as the kernel keeps it (see Kernel.feed), its batches packed. */
interface Run {
  readonly events: EventFeed<MarketEvent>;
  readonly counters: PipelineCounters;
  readonly packer: FeatureBatchPacker;
  readonly reader: EventColumnReader;
  readonly fed: { events: number; ts: number };
  failure: Error | undefined;
}

function start(config: Config): Run {
  const events = new EventFeed<MarketEvent>();
  const fed = { events: 0, ts: -Infinity };
  // The batches packed as the pipeline takes them, straight from its market states (packedPipeline): the
  // packer only read numbers from the snapshots, their windows and sums arrays, built and dropped a market a
  // boundary.
  const packer = new FeatureBatchPacker(fed);
  const pipeline = packedPipeline(events.observable, config, packer);
  const run: Run = { events, counters: pipeline.counters, packer, reader: new EventColumnReader(), fed, failure: undefined };
  pipeline.done$.subscribe({
    error: (error: unknown) => {
      run.failure = error instanceof Error ? error : new Error(String(error));
    },
  });
  return run;
}

const post = (message: FromFeatureThread): void => {
  if (message.type === 'features') port.postMessage(message, [...packedBuffers(message.packed), ...(message.columns ? columnBuffers(message.columns) : [])]);
  else port.postMessage(message);
};

let run: Run | undefined;
port.on('message', (m: ToFeatureThread) => {
  if (m.type === 'start') {
    const previous = run;
    run = start(m.config);
    // The last run's arrays (its end was taken: see below) serve this one.
    previous?.packer.handOver(run.packer);
    return;
  }
  if (run === undefined) throw new Error('feature-worker: events before a start');
  const { fed, packer } = run;
  if (m.type === 'events') {
    for (const spent of m.spent) packer.recycle(spent.heads, spent.rows);
    const batch = run.reader.read(m.columns);
    const events = run.events;
    for (let i = 0; i < batch.length; i++) {
      let event = batch[i] as MarketEvent;
      if (event.ts >= fed.ts) fed.ts = event.ts;
      else event = Object.assign({}, event, { ts: fed.ts });
      events.next(event);
      fed.events++;
    }
  } else run.events.complete();
  if (run.failure) post({ type: 'error', name: run.failure.name, message: run.failure.message });
  // The columns go back to be written again (see withFeatureThread).
  else post({ type: 'features', packed: packer.take(), ...(m.type === 'end' ? { counters: run.counters } : { columns: m.columns }) });
});
