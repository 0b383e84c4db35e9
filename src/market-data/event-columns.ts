import type { CandleEvent, MarketEvent, TradeEvent } from '../core/index.js';
import { MarketRound } from '../core/market-round.js';

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
export const VALUES = 7;
const CANDLE = 0;
/** A trade's code: TRADE + its side (0 none, 1 buy, 2 sell) + WITH_ID when it has an id. */
const TRADE = 1;
const WITH_ID = 3;
const OTHER = 255;

/**
 * Builds batches of columns an event at a time: event objects (`push`) or candles already in columns
 * (`pushCandle`, as a reader thread parses candle CSV). Holds the market names seen so far.
 */
/** A candle's values at values[v …], in the columns' order (ts, openTime, open, high, low, close, volume). */
export function writeCandle(values: Float64Array, v: number, e: CandleEvent): void {
  values[v] = e.ts;
  values[v + 1] = e.openTime;
  values[v + 2] = e.open;
  values[v + 3] = e.high;
  values[v + 4] = e.low;
  values[v + 5] = e.close;
  values[v + 6] = e.volume;
}

export class EventColumnBuilder {
  /** Each market's number, found by its place in the round of events (see MarketRound): no Map look-up an event. */
  readonly #known = new MarketRound<number>();
  #count = 0;
  #codes = new Uint8Array(0);
  #markets = new Uint32Array(0);
  #values = new Float64Array(0);
  #others: MarketEvent[] = [];
  #newMarkets: string[] = [];

  get length(): number {
    return this.#count;
  }

  /**
   * Starts a batch of at most `capacity` events in `spare`'s arrays when they are large enough (columns
   * handed over earlier and given back, or a ColumnRing's slot), else in the builder's own.
   */
  start(capacity: number, spare?: EventColumns): void {
    this.#count = 0;
    if (spare !== undefined && spare.codes.buffer.byteLength >= capacity) {
      this.#codes = new Uint8Array(spare.codes.buffer as ArrayBuffer);
      this.#markets = new Uint32Array(spare.markets.buffer as ArrayBuffer);
      this.#values = new Float64Array(spare.values.buffer as ArrayBuffer);
    } else if (this.#codes.length < capacity) {
      this.#codes = new Uint8Array(capacity);
      this.#markets = new Uint32Array(capacity);
      this.#values = new Float64Array(capacity * VALUES);
    }
    this.#others = [];
    this.#newMarkets = [];
  }

  /** The market's number, the name sent with this batch when it is new. */
  market(name: string): number {
    let m = this.#known.get(name);
    if (m === undefined) {
      m = this.#known.size;
      this.#known.set(name, m);
      this.#newMarkets.push(name);
    }
    return m;
  }

  push(e: MarketEvent): void {
    const i = this.#count++;
    const codes = this.#codes;
    const values = this.#values;
    this.#markets[i] = this.market(e.market);
    const v = i * VALUES;
    if (e.kind === 'candle') {
      codes[i] = CANDLE;
      writeCandle(values, v, e);
    } else if (e.kind === 'trade' && (e.id === undefined || typeof e.id === 'number') && (e.side === undefined || e.side === 'buy' || e.side === 'sell')) {
      codes[i] = TRADE + (e.side === undefined ? 0 : e.side === 'buy' ? 1 : 2) + (e.id === undefined ? 0 : WITH_ID);
      values[v] = e.ts;
      values[v + 1] = e.price;
      values[v + 2] = e.amount;
      if (e.id !== undefined) values[v + 3] = e.id;
    } else {
      codes[i] = OTHER;
      this.#others.push(e);
    }
  }

  /** A candle of market number `market` from `from[at..at + 7)` (ts, openTime, open, high, low, close, volume). */
  pushCandle(market: number, from: Float64Array, at: number): void {
    const i = this.#count++;
    this.#codes[i] = CANDLE;
    this.#markets[i] = market;
    const values = this.#values;
    const v = i * VALUES;
    values[v] = from[at] as number;
    values[v + 1] = from[at + 1] as number;
    values[v + 2] = from[at + 2] as number;
    values[v + 3] = from[at + 3] as number;
    values[v + 4] = from[at + 4] as number;
    values[v + 5] = from[at + 5] as number;
    values[v + 6] = from[at + 6] as number;
  }

  /**
   * Another builder's batch (a reader thread's, numbered as this one numbers the same events: each market
   * in the order it first appears) written as this batch: its arrays copied, its others and new market names
   * taken, no event read. Starts the batch as `start` does; `handOver` follows as after `push`.
   */
  copy(columns: EventColumns, spare?: EventColumns): void {
    const n = columns.count;
    this.start(n, spare);
    this.#codes.set(columns.codes.subarray(0, n));
    this.#markets.set(columns.markets.subarray(0, n));
    this.#values.set(columns.values.subarray(0, n * VALUES));
    this.#count = n;
    for (const e of columns.others) this.#others.push(e);
    for (const name of columns.newMarkets) this.market(name);
  }

  /**
   * The batch built since `start` in the builder's own arrays, without a copy: for arrays that come back
   * (`start`'s spare) once read, given back or shared (a reader thread's ColumnRing), so that no batch
   * allocates. The next `start` needs a spare or allocates anew.
   */
  handOver(): EventColumns {
    const n = this.#count;
    const out = { count: n, codes: this.#codes.subarray(0, n), markets: this.#markets.subarray(0, n), values: this.#values.subarray(0, n * VALUES), others: this.#others, newMarkets: this.#newMarkets };
    this.#codes = new Uint8Array(0);
    this.#markets = new Uint32Array(0);
    this.#values = new Float64Array(0);
    return out;
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
