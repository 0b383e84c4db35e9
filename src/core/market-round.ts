import { objectArray } from './object-array.js';

/**
 * Per-market values looked up an event at a time, found by the market's place in the round: merged
 * candle files give every market's bar of a close one after another, in the same order each round, so
 * the market after the last one found is nearly always the next event's, and one string comparison (the
 * same string object) answers where a Map look-up hashes and probes. The Map answers when the guess
 * misses (trades, a market that appeared or went quiet) and the round goes on from there. Markets keep
 * the order they were first set in.
 */
export class MarketRound<T> {
  readonly #index = new Map<string, number>();
  readonly #markets = objectArray<string>();
  readonly #values = objectArray<T>();
  /** Place of the last market found or set. */
  #last = -1;

  get size(): number {
    return this.#markets.length;
  }

  /** The market's value, undefined before it was set. */
  get(market: string): T | undefined {
    const markets = this.#markets;
    let i = this.#last + 1;
    if (i === markets.length) i = 0;
    // Never a read past the end (an empty round: a run's first event), which the code compiled in a run
    // before would not have seen and would be thrown away for.
    if (markets.length === 0 || markets[i] !== market) {
      const found = this.#index.get(market);
      if (found === undefined) return undefined;
      i = found;
    }
    this.#last = i;
    return this.#values[i];
  }

  set(market: string, value: T): void {
    let i = this.#index.get(market);
    if (i === undefined) {
      i = this.#markets.length;
      this.#index.set(market, i);
      this.#markets.push(market);
      this.#values.push(value);
    } else this.#values[i] = value;
    this.#last = i;
  }

  /** Every market and its value, in the order first set. */
  entries(): [string, T][] {
    return this.#markets.map((market, i) => [market, this.#values[i] as T]);
  }

  clear(): void {
    this.#index.clear();
    this.#markets.length = 0;
    this.#values.length = 0;
    this.#last = -1;
  }
}
