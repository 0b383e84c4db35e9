import type { FeatureSnapshot } from '../core/index.js';
import { objectArray } from '../core/object-array.js';

/**
 * Each market's last feature snapshot, which the engine reads only at a buy or an exit (a few a batch):
 * the latest batch is kept whole, and its snapshots are copied out by market only when the next batch
 * lists other markets at its places (a market appeared or went stale), so that a market missing from the
 * latest batch still has its own last one. Writing every snapshot into a slot of its market, as the engine
 * did, stored a young object into an old one for every market event (a write barrier, and an entry the
 * next scavenge walks). A batch's snapshot list is the operator's to hand out, never changed afterwards.
 */
export class LastSnapshots {
  #batch: readonly FeatureSnapshot[] = objectArray<FeatureSnapshot>();
  /** Each market's place in `#batch`, made again when a batch lists other markets. */
  readonly #place = new Map<string, number>();
  /** Snapshots of batches before `#batch`, by market: the last of each market that is not in `#batch`. */
  readonly #earlier = new Map<string, FeatureSnapshot>();

  /** A new batch's snapshots: from now on the latest. */
  note(snapshots: readonly FeatureSnapshot[]): void {
    const previous = this.#batch;
    this.#batch = snapshots;
    if (sameMarkets(previous, snapshots)) return;
    for (let i = 0; i < previous.length; i++) {
      const s = previous[i] as FeatureSnapshot;
      this.#earlier.set(s.market, s);
    }
    this.#place.clear();
    for (let i = 0; i < snapshots.length; i++) this.#place.set((snapshots[i] as FeatureSnapshot).market, i);
  }

  /** The market's last snapshot, undefined before its first. */
  find(market: string): FeatureSnapshot | undefined {
    const i = this.#place.get(market);
    return i === undefined ? this.#earlier.get(market) : this.#batch[i];
  }
}

/** Whether two batches list the same markets at the same places (one compare a market, usually the same string). */
function sameMarkets(a: readonly FeatureSnapshot[], b: readonly FeatureSnapshot[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as FeatureSnapshot).market !== (b[i] as FeatureSnapshot).market) return false;
  return true;
}
