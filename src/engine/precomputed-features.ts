import type { Observable } from 'rxjs';
import type { MarketEvent } from '../core/index.js';
import { FeatureBatchUnpacker, HEAD, type FeatureBatch, type PackedFeatureBatches } from '../../streams/index.js';
import { objectArray } from '../core/object-array.js';
import { EventFeed } from './event-feed.js';
import type { PipelineCounters } from './market-pipeline.js';

/**
 * The engine's feature batches computed elsewhere from the very events it is fed (another thread: see
 * feature-thread.ts), instead of by its own pipeline: each packed batch is emitted when the event that
 * emitted it in that pipeline reaches this one, so the engine sees the same batches at the same points of
 * the event stream. Whoever computes them adds them (`add`) before the engine is fed the events that
 * emit them; the run's last, partial batch (emitted at `complete`) too, before the engine finishes.
 */
export class PrecomputedFeatures {
  readonly #feed = new EventFeed<FeatureBatch>();
  readonly batches$: Observable<FeatureBatch> = this.#feed.observable;
  /** The computing pipeline's counters, once it has told them (`setCounters`). */
  readonly counters: PipelineCounters = { dedupe: { duplicates: 0, gaps: 0, missing: 0 }, features: { events: 0, outOfOrder: 0 } };
  readonly #unpacker = new FeatureBatchUnpacker();
  readonly #blocks: PackedFeatureBatches[] = [];
  /** The block being read (the head of #blocks), its next batch and that batch's first snapshot. */
  #block: PackedFeatureBatches | undefined;
  #batch = 0;
  #snapshot = 0;
  /** Events fed so far, and how many had been when the next batch is due (Infinity: none known yet). */
  #events = 0;
  #due = Infinity;
  /** Blocks read to the end: their arrays may go back to whoever packed them (see FeatureBatchPacker.recycle). */
  readonly spent: PackedFeatureBatches[] = objectArray();

  /** The next packed batches, in the order computed. */
  add(packed: PackedFeatureBatches): void {
    this.#blocks.push(packed);
    if (this.#block === undefined) this.#nextBlock();
  }

  setCounters(counters: PipelineCounters): void {
    Object.assign(this.counters.dedupe, counters.dedupe);
    Object.assign(this.counters.features, counters.features);
  }

  /** One event reaches the features: the batch it emits, if any, goes out first (the event itself is the computing side's). */
  next(_event: MarketEvent): void {
    if (this.#events++ === this.#due) this.#emit(this.#events - 1);
  }

  /** The end of the events: the last, partial batch (if it was added), then the end of the batches. */
  complete(): void {
    if (this.#events === this.#due) this.#emit(this.#events);
    this.#feed.complete();
  }

  #emit(at: number): void {
    while (this.#block !== undefined && this.#due === at) {
      const heads = this.#block.heads;
      const h = this.#batch * HEAD;
      const count = heads[h + 2] as number;
      const batch = this.#unpacker.batch(this.#block.rows, this.#snapshot, count, heads[h + 1] as number);
      this.#batch++;
      this.#snapshot += count;
      if (this.#batch * HEAD < heads.length) this.#due = heads[this.#batch * HEAD] as number;
      else this.#nextBlock();
      this.#feed.next(batch);
    }
  }

  /** Moves to the next block that holds a batch (learning every block's markets on the way). */
  #nextBlock(): void {
    if (this.#block !== undefined) this.spent.push(this.#block);
    for (;;) {
      const block = this.#blocks.shift();
      if (block === undefined) {
        this.#block = undefined;
        this.#due = Infinity;
        return;
      }
      this.#unpacker.learn(block);
      if (block.heads.length === 0) this.spent.push(block);
      else {
        this.#block = block;
        this.#batch = 0;
        this.#snapshot = 0;
        this.#due = block.heads[0] as number;
        return;
      }
    }
  }
}
