import type { MarketEvent } from '../../src/core/index.js';

/**
 * Feeds `n` trades of `market` at `price`, one a minute of event time from `t0` on (each call goes on where the
 * last one stopped): with the default minute batches, each trade closes the batch before it.
 */
export function minuteTrades(kernel: { feed(event: MarketEvent): void }, market: string, price: number, t0: number): (n: number) => void {
  let minute = 0;
  return (n) => {
    for (let i = 0; i < n; i++, minute++) kernel.feed({ kind: 'trade', market, ts: t0 + minute * 60_000, price, amount: 1_000 });
  };
}
