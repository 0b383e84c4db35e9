/**
 * The highest bid of each market since any time within the last `horizonMs`, from the feature batches
 * alone: a monotonic deque per market (times ascending, bids strictly descending), so the peak since t is
 * the first entry at or after t. Kept from market data rather than from positions so a run resumed from
 * a checkpoint, whose warm-up replays the features but not the positions, knows the same peaks as an
 * uninterrupted one (the trailing stop's reference).
 */
export class BidPeaks {
  readonly #horizonMs: number;
  readonly #markets = new Map<string, MarketPeaks>();

  constructor(horizonMs: number) {
    this.#horizonMs = horizonMs;
  }

  /** The deque of one market (created empty on first use): a caller that keeps it skips the look-up. */
  of(market: string): MarketPeaks {
    let q = this.#markets.get(market);
    if (!q) this.#markets.set(market, (q = new MarketPeaks(this.#horizonMs)));
    return q;
  }

  add(market: string, ts: number, bid: number): void {
    this.of(market).add(ts, bid);
  }

  /** The highest bid added for `market` at or after `since` (NaN when none is kept). */
  since(market: string, since: number): number {
    return this.#markets.get(market)?.since(since) ?? Number.NaN;
  }
}

/** One market's deque of BidPeaks. */
export class MarketPeaks {
  readonly #horizonMs: number;
  readonly #ts: number[] = [];
  readonly #bid: number[] = [];
  #head = 0;

  constructor(horizonMs: number) {
    this.#horizonMs = horizonMs;
  }

  add(ts: number, bid: number): void {
    const times = this.#ts;
    const bids = this.#bid;
    while (bids.length > this.#head && (bids[bids.length - 1] as number) <= bid) {
      bids.pop();
      times.pop();
    }
    times.push(ts);
    bids.push(bid);
    while ((times[this.#head] as number) < ts - this.#horizonMs) this.#head++;
    // Compact now and then so the arrays do not grow with the dropped head.
    if (this.#head > 64 && this.#head * 2 > times.length) {
      times.splice(0, this.#head);
      bids.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** The highest bid added at or after `since` (NaN when none is kept). */
  since(since: number): number {
    const times = this.#ts;
    let lo = this.#head;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((times[mid] as number) < since) lo = mid + 1;
      else hi = mid;
    }
    return lo < times.length ? (this.#bid[lo] as number) : Number.NaN;
  }
}
