/**
 * The highest bid of each market since any time within the last `horizonMs`, from the feature batches
 * alone: a monotonic deque per market (times ascending, bids strictly descending), so the peak since t is
 * the first entry at or after t. Kept from market data rather than from positions so a run resumed from
 * a checkpoint, whose warm-up replays the features but not the positions, knows the same peaks as an
 * uninterrupted one (the trailing stop's reference).
 */
export class BidPeaks {
  readonly #horizonMs: number;
  readonly #markets = new Map<string, { ts: number[]; bid: number[]; head: number }>();

  constructor(horizonMs: number) {
    this.#horizonMs = horizonMs;
  }

  add(market: string, ts: number, bid: number): void {
    let q = this.#markets.get(market);
    if (!q) this.#markets.set(market, (q = { ts: [], bid: [], head: 0 }));
    while (q.bid.length > q.head && (q.bid[q.bid.length - 1] as number) <= bid) {
      q.bid.pop();
      q.ts.pop();
    }
    q.ts.push(ts);
    q.bid.push(bid);
    while ((q.ts[q.head] as number) < ts - this.#horizonMs) q.head++;
    // Compact now and then so the arrays do not grow with the dropped head.
    if (q.head > 64 && q.head * 2 > q.ts.length) {
      q.ts.splice(0, q.head);
      q.bid.splice(0, q.head);
      q.head = 0;
    }
  }

  /** The highest bid added for `market` at or after `since` (NaN when none is kept). */
  since(market: string, since: number): number {
    const q = this.#markets.get(market);
    if (!q) return Number.NaN;
    let lo = q.head;
    let hi = q.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((q.ts[mid] as number) < since) lo = mid + 1;
      else hi = mid;
    }
    return lo < q.ts.length ? (q.bid[lo] as number) : Number.NaN;
  }
}
