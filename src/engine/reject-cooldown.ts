/**
 * After the exchange refuses an order of a market, no new order of it for a while: a minute after the first
 * refusal, twice as long after each next one in a row (at most an hour), until an order of it is accepted.
 * Without it a refusal that does not go away by itself (the coins gone from the account, a market delisted
 * or its minimum raised) was asked again at every feature batch: a request a second, each refused and logged.
 */
export class RejectCooldown {
  readonly #markets = new Map<string, { until: number; strikes: number }>();
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(baseMs = 60_000, maxMs = 3_600_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  refused(market: string, ts: number): void {
    const c = this.#markets.get(market) ?? { until: 0, strikes: 0 };
    c.strikes++;
    c.until = ts + Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(c.strikes - 1, 20));
    this.#markets.set(market, c);
  }

  /**
   * A refusal that says when it ends (a ban): no new order of the market until `until`, its wait not doubled. Cooled
   * down as any refusal, an exit refused during a ban waited 1, 2, 4 … minutes, up to an hour past the ban's end.
   */
  refusedUntil(market: string, until: number): void {
    const c = this.#markets.get(market) ?? { until: 0, strikes: 0 };
    c.until = until;
    this.#markets.set(market, c);
  }

  accepted(market: string): void {
    if (this.#markets.size > 0) this.#markets.delete(market);
  }

  /** Whether `market` takes no new order at `ts`. */
  cooling(market: string, ts: number): boolean {
    if (this.#markets.size === 0) return false;
    const c = this.#markets.get(market);
    return c !== undefined && c.until > ts;
  }
}
