import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { EventColumnBuilder, EventColumnReader, VALUES } from '../../src/market-data/event-columns.js';

/** Through the columns as a reader thread sends them: written, the buffers copied as a transfer would, read back. */
function roundTrip(batches: MarketEvent[][]): MarketEvent[][] {
  const builder = new EventColumnBuilder();
  const reader = new EventColumnReader();
  return batches.map((batch) => {
    builder.start(batch.length);
    for (const e of batch) builder.push(e);
    return reader.read(structuredClone(builder.handOver()));
  });
}

describe('event columns', () => {
  it('give back every event with the same fields in the same order, markets named once across batches', () => {
    const first: MarketEvent[] = [
      { kind: 'candle', market: 'BTC/USDT', ts: 1_600_000_300_000, openTime: 1_600_000_000_000, open: 10.5, high: 11, low: 10, close: 10.75, volume: 0 },
      { kind: 'trade', market: 'ETH/USDT', ts: 1, price: 0.1 + 0.2, amount: 1e-12 },
      { kind: 'trade', market: 'ETH/USDT', ts: 2, price: 3, amount: 4, side: 'buy' },
      { kind: 'trade', market: 'BTC/USDT', ts: 3, price: 3, amount: 4, side: 'sell', id: 2 ** 53 - 1 },
      { kind: 'trade', market: 'BTC/USDT', ts: 4, price: 3, amount: 4, id: 0 },
      { kind: 'book', market: 'BTC/USDT', ts: 5, bidPrice: 1, bidSize: 2, askPrice: 3, askSize: 4 },
    ];
    const second: MarketEvent[] = [
      { kind: 'ticker', market: 'XRP/USDT', ts: 6, price: 1, volume24h: undefined as unknown as number },
      { kind: 'candle', market: 'ETH/USDT', ts: 7, openTime: -0, open: 1, high: 1, low: 1, close: 1, volume: Number.NaN },
      { kind: 'trade', market: 'XRP/USDT', ts: 8, price: 1, amount: 1, id: '77' as unknown as number },
    ];
    const [a, b] = roundTrip([first, second]);
    for (const [got, want] of [[a, first], [b, second]] as const) {
      expect(got).toHaveLength(want.length);
      got?.forEach((e, i) => {
        expect(Object.keys(e)).toEqual(Object.keys(want[i] as object));
        expect(e).toStrictEqual(want[i]);
      });
    }
    expect(Object.is((b?.[1] as { openTime: number }).openTime, -0)).toBe(true);
    expect((b?.[2] as { id: unknown }).id).toBe('77');
  });

  it('give back a candle written from columns (as a reader thread parses candle CSV) as the object it stands for', () => {
    const builder = new EventColumnBuilder();
    const reader = new EventColumnReader();
    const candle: MarketEvent = { kind: 'candle', market: 'SOL/USDT', ts: 1_600_000_300_000, openTime: 1_600_000_000_000, open: 2.5, high: 3, low: 2, close: 2.75, volume: 12.125 };
    const row = new Float64Array(3 * VALUES);
    row.set([candle.ts, candle.openTime, candle.open, candle.high, candle.low, candle.close, candle.volume], VALUES);
    builder.start(2);
    builder.push({ kind: 'trade', market: 'BTC/USDT', ts: 1, price: 1, amount: 1 });
    builder.pushCandle(builder.market('SOL/USDT'), row, VALUES);
    const columns = builder.handOver();
    expect(columns.newMarkets).toEqual(['BTC/USDT', 'SOL/USDT']);
    const [trade, got] = reader.read(structuredClone(columns));
    expect(trade?.market).toBe('BTC/USDT');
    expect(Object.keys(got as object)).toEqual(Object.keys(candle));
    expect(got).toStrictEqual(candle);
  });

  it('copy another builder\'s batches as the same columns as pushing their events, markets numbered alike', () => {
    const batches: MarketEvent[][] = [
      [
        { kind: 'candle', market: 'BTC/USDT', ts: 300, openTime: 0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
        { kind: 'trade', market: 'ETH/USDT', ts: 301, price: 2, amount: 1, side: 'sell', id: 9 },
      ],
      [
        { kind: 'book', market: 'XRP/USDT', ts: 302, bidPrice: 1, bidSize: 2, askPrice: 3, askSize: 4 },
        { kind: 'candle', market: 'ETH/USDT', ts: 600, openTime: 300, open: 2, high: 2, low: 2, close: 2, volume: 0 },
      ],
    ];
    const source = new EventColumnBuilder();
    const pushed = new EventColumnBuilder();
    const copied = new EventColumnBuilder();
    for (const batch of batches) {
      source.start(batch.length);
      pushed.start(batch.length);
      for (const e of batch) {
        source.push(e);
        pushed.push(e);
      }
      copied.copy(source.handOver());
      const want = pushed.handOver();
      const got = copied.handOver();
      expect(got).toStrictEqual(want);
    }
    // a later batch pushed event by event after copied ones goes on with the same numbers
    const next: MarketEvent = { kind: 'candle', market: 'XRP/USDT', ts: 900, openTime: 600, open: 1, high: 1, low: 1, close: 1, volume: 1 };
    pushed.start(1);
    pushed.push(next);
    copied.start(1);
    copied.push(next);
    expect(copied.handOver()).toStrictEqual(pushed.handOver());
  });
});
