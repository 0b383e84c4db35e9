/**
 * Market events: the one normalized shape every source (live websocket, replay file, generator)
 * produces. Times are exchange event times in epoch milliseconds.
 */

/** Unified market symbol, `BASE/QUOTE` (ccxt style), e.g. `BTC/KRW`, `BTC/USDT`. */
export type MarketSymbol = string;

export type TakerSide = 'buy' | 'sell';

/** One executed trade. `amount` is in base units. */
export interface TradeEvent {
  readonly kind: 'trade';
  readonly market: MarketSymbol;
  readonly ts: number;
  readonly price: number;
  readonly amount: number;
  /** Side of the taker when the source says so. */
  readonly side?: TakerSide;
  /** Exchange trade id (Binance `t`, Upbit `sequential_id`) for de-duplication and gap detection. */
  readonly id?: number;
}

/** A ticker update: last price plus the exchange's own rolling 24h totals when given. */
export interface TickerEvent {
  readonly kind: 'ticker';
  readonly market: MarketSymbol;
  readonly ts: number;
  readonly price: number;
  /** 24h base volume as reported by the exchange, if any. */
  readonly volume24h?: number;
  /** 24h quote value as reported by the exchange, if any. */
  readonly value24h?: number;
}

/** Best bid and ask with the size resting at each. */
export interface BookTopEvent {
  readonly kind: 'book';
  readonly market: MarketSymbol;
  readonly ts: number;
  readonly bidPrice: number;
  readonly bidSize: number;
  readonly askPrice: number;
  readonly askSize: number;
}

/**
 * A closed OHLCV candle. `ts` is its close time (open time + timeframe): the candle is only known
 * then. Streams count it as `volume` traded at `close` at `ts`; the simulated exchange uses high/low.
 */
export interface CandleEvent {
  readonly kind: 'candle';
  readonly market: MarketSymbol;
  readonly ts: number;
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export type MarketEvent = TradeEvent | TickerEvent | BookTopEvent | CandleEvent;

/** The price and volume an event contributes to windowed aggregates, or undefined if none. */
export function tradedPrice(event: MarketEvent): number | undefined {
  switch (event.kind) {
    case 'trade':
      return event.price;
    case 'candle':
      return event.close;
    case 'ticker':
      return event.price;
    case 'book':
      return undefined;
  }
}

/** The price an event tells: its traded price, or a book's mid. */
export function eventPrice(event: MarketEvent): number {
  return tradedPrice(event) ?? (event.kind === 'book' ? (event.bidPrice + event.askPrice) / 2 : Number.NaN);
}
