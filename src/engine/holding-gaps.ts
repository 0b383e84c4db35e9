/** A market's silences while the bot held it: how many, and the longest. */
export interface HoldingGap {
  readonly market: string;
  readonly gaps: number;
  readonly longestMs: number;
}

/**
 * Counts, per market, the gaps in its data (no event for longer than its price may go stale, see
 * Portfolio) that ended while the bot held a position in it: the position was valued at the price from
 * before the gap, and its exits could not act, all that time.
 */
export class HoldingGaps {
  readonly #byMarket = new Map<string, { gaps: number; longestMs: number }>();

  note(market: string, gapMs: number): void {
    const g = this.#byMarket.get(market);
    if (g === undefined) this.#byMarket.set(market, { gaps: 1, longestMs: gapMs });
    else {
      g.gaps++;
      if (gapMs > g.longestMs) g.longestMs = gapMs;
    }
  }

  /** Every market with a gap, by name (so a rerun writes them in the same order). */
  list(): HoldingGap[] {
    return [...this.#byMarket]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([market, g]) => ({ market, gaps: g.gaps, longestMs: g.longestMs }));
  }
}
