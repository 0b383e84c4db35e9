import type { CandleEvent, MarketEvent, TradeEvent } from '../core/index.js';

/**
 * A batch of market events as typed arrays, the form a reader thread hands batches over in (the
 * arrays' buffers are transferred, not copied): a code and a market number an event, and VALUES numbers
 * an event. Candles and trades, the bulk of any replay, are columns; any other event (tickers, book
 * tops, a trade whose id is not a number) goes as the object itself, in `others`, in order.
 */
export interface EventColumns {
  readonly count: number;
  readonly codes: Uint8Array;
  /** Index into the market names, which grow by `newMarkets` at each batch. */
  readonly markets: Uint32Array;
  readonly values: Float64Array;
  readonly others: MarketEvent[];
  readonly newMarkets: string[];
}

/** Numbers an event: a candle's ts, openTime, open, high, low, close, volume; a trade's ts, price, amount, id. */
const VALUES = 7;
const CANDLE = 0;
/** A trade's code: TRADE + its side (0 none, 1 buy, 2 sell) + WITH_ID when it has an id. */
const TRADE = 1;
const WITH_ID = 3;
const OTHER = 255;

/** Batches → columns; holds the market names seen so far (each name is sent once). */
export class EventColumnWriter {
  readonly #markets = new Map<string, number>();

  write(batch: readonly MarketEvent[]): EventColumns {
    const count = batch.length;
    const codes = new Uint8Array(count);
    const markets = new Uint32Array(count);
    const values = new Float64Array(count * VALUES);
    const others: MarketEvent[] = [];
    const newMarkets: string[] = [];
    const known = this.#markets;
    for (let i = 0; i < count; i++) {
      const e = batch[i] as MarketEvent;
      let m = known.get(e.market);
      if (m === undefined) {
        m = known.size;
        known.set(e.market, m);
        newMarkets.push(e.market);
      }
      markets[i] = m;
      const v = i * VALUES;
      if (e.kind === 'candle') {
        codes[i] = CANDLE;
        values[v] = e.ts;
        values[v + 1] = e.openTime;
        values[v + 2] = e.open;
        values[v + 3] = e.high;
        values[v + 4] = e.low;
        values[v + 5] = e.close;
        values[v + 6] = e.volume;
      } else if (e.kind === 'trade' && (e.id === undefined || typeof e.id === 'number') && (e.side === undefined || e.side === 'buy' || e.side === 'sell')) {
        codes[i] = TRADE + (e.side === undefined ? 0 : e.side === 'buy' ? 1 : 2) + (e.id === undefined ? 0 : WITH_ID);
        values[v] = e.ts;
        values[v + 1] = e.price;
        values[v + 2] = e.amount;
        if (e.id !== undefined) values[v + 3] = e.id;
      } else {
        codes[i] = OTHER;
        others.push(e);
      }
    }
    return { count, codes, markets, values, others, newMarkets };
  }
}

/** The buffers to transfer with a batch's columns. */
export function columnBuffers(columns: EventColumns): ArrayBuffer[] {
  return [columns.codes.buffer as ArrayBuffer, columns.markets.buffer as ArrayBuffer, columns.values.buffer as ArrayBuffer];
}

/**
 * Columns → the events they were written from: objects of the same shape, fields in the same order, as
 * the parsers make (see parsers/trade-event.ts and CandleParser).
 */
export class EventColumnReader {
  readonly #markets: string[] = [];

  read(columns: EventColumns): MarketEvent[] {
    const names = this.#markets;
    for (const name of columns.newMarkets) names.push(name);
    const { count, codes, markets, values, others } = columns;
    const out: MarketEvent[] = new Array<MarketEvent>(count);
    let other = 0;
    for (let i = 0; i < count; i++) {
      const code = codes[i] as number;
      const market = names[markets[i] as number] as string;
      const v = i * VALUES;
      if (code === CANDLE) {
        out[i] = {
          kind: 'candle',
          market,
          ts: values[v] as number,
          openTime: values[v + 1] as number,
          open: values[v + 2] as number,
          high: values[v + 3] as number,
          low: values[v + 4] as number,
          close: values[v + 5] as number,
          volume: values[v + 6] as number,
        } satisfies CandleEvent;
      } else if (code === OTHER) out[i] = others[other++] as MarketEvent;
      else out[i] = tradeAt(code, market, values, v);
    }
    return out;
  }
}

function tradeAt(code: number, market: string, values: Float64Array, v: number): TradeEvent {
  const ts = values[v] as number;
  const price = values[v + 1] as number;
  const amount = values[v + 2] as number;
  const withId = code >= TRADE + WITH_ID;
  const side = (code - TRADE) % WITH_ID;
  if (side === 0) return withId ? { kind: 'trade', market, ts, price, amount, id: values[v + 3] as number } : { kind: 'trade', market, ts, price, amount };
  const taker = side === 1 ? 'buy' : 'sell';
  return withId ? { kind: 'trade', market, ts, price, amount, side: taker, id: values[v + 3] as number } : { kind: 'trade', market, ts, price, amount, side: taker };
}
