/**
 * A strategy's state per market, found for each snapshot of a feature batch by the snapshot's place in
 * the batch: batches list the live markets in the same order one after the other, so the slot kept at
 * that place is almost always the market's own (one string compare), and the Map is asked only when a
 * market appeared or went stale. A strategy reads every snapshot of a run, as many as market events.
 */
export class MarketSlots<T extends { readonly market: string }> {
  readonly #byMarket = new Map<string, T>();
  readonly #byPlace: (T | undefined)[] = [];
  readonly #create: (market: string) => T;

  constructor(create: (market: string) => T) {
    this.#create = create;
  }

  /** The slot of `market`, the `place`-th snapshot of its batch (created on first sight). */
  at(place: number, market: string): T {
    const slot = this.#byPlace[place];
    if (slot !== undefined && slot.market === market) return slot;
    return (this.#byPlace[place] = this.of(market));
  }

  /** The slot of `market` (created on first sight). */
  of(market: string): T {
    let slot = this.#byMarket.get(market);
    if (slot === undefined) this.#byMarket.set(market, (slot = this.#create(market)));
    return slot;
  }

  /** The slot of `market`, undefined before it was first seen. */
  find(market: string): T | undefined {
    return this.#byMarket.get(market);
  }
}
