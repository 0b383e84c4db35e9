/**
 * One side of a price-level book: parallel sorted arrays, best price first. Updates are binary
 * search + splice, which is fast for the few thousand levels a depth stream keeps.
 */
export class BookSide {
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  constructor(private readonly descending: boolean) {}

  /** Set the size at a price; size 0 removes the level. */
  set(price: number, size: number): void {
    const { prices, sizes } = this;
    let lo = 0;
    let hi = prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = prices[mid] as number;
      if (this.descending ? p > price : p < price) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < prices.length && prices[lo] === price;
    if (size === 0) {
      if (found) {
        prices.splice(lo, 1);
        sizes.splice(lo, 1);
      }
    } else if (found) sizes[lo] = size;
    else {
      prices.splice(lo, 0, price);
      sizes.splice(lo, 0, size);
    }
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
  }
}
