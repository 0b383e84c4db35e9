import type { MarketEvent } from '../core/index.js';
import { parseCaptureLine } from './capture-line.js';
import { marketFromSymbol } from './market-names.js';
import { epochMs, MalformedRecord, nonNegative, Parsed, parseJson, positive, tradeEvent, type RecordParser } from './record-parser.js';

type Frame = Record<string, unknown>;

/** A local order book rebuilt from a REST snapshot and depth diffs, to know its top. */
class LocalBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  constructor(readonly lastUpdateId: number) {}

  apply(levels: unknown, side: Map<number, number>): void {
    if (!Array.isArray(levels)) throw new MalformedRecord('depth levels must be an array');
    for (const level of levels as unknown[][]) {
      const price = positive(level[0] as string, 'depth price');
      const size = nonNegative(level[1] as string, 'depth size');
      if (size === 0) side.delete(price);
      else side.set(price, size);
    }
  }

  top(): { bidPrice: number; bidSize: number; askPrice: number; askSize: number } | undefined {
    let bidPrice = -Infinity;
    for (const p of this.bids.keys()) if (p > bidPrice) bidPrice = p;
    let askPrice = Infinity;
    for (const p of this.asks.keys()) if (p < askPrice) askPrice = p;
    if (bidPrice === -Infinity || askPrice === Infinity) return undefined;
    return { bidPrice, bidSize: this.bids.get(bidPrice) as number, askPrice, askSize: this.asks.get(askPrice) as number };
  }
}

/**
 * Binance websocket captures (combined `{"stream","data"}` or bare payloads): `trade` and `aggTrade` →
 * TradeEvent (taker side from `m`, id from `t` or `a`), `bookTicker` → BookTopEvent, closed `kline` →
 * CandleEvent, `depthUpdate` → BookTopEvent once a REST depth snapshot for the symbol has been seen in
 * the same file (diffs before it, or with `u` ≤ the snapshot's lastUpdateId, are ignored: without a
 * snapshot the top of the book is unknowable). Times are exchange times (`T`, else `E`); spot
 * bookTicker frames carry neither, so they get the local receive time corrected by the latest observed
 * exchange-minus-local offset of the same file.
 */
export class BinanceCaptureParser implements RecordParser {
  readonly #futures: boolean;
  readonly #fileSymbol: string | undefined;
  readonly #books = new Map<string, LocalBook>();
  readonly #markets = new Map<string, string>();
  #offsetMs = 0;

  /** `fileMarket` names the symbol of REST snapshots that do not carry one (hftbacktest files). */
  constructor(futures: boolean, fileMarket: string | undefined) {
    this.#futures = futures;
    this.#fileSymbol = fileMarket?.split(':')[0]?.replace('/', '');
  }

  parse(record: string, out: MarketEvent[]): Parsed {
    const line = parseCaptureLine(record);
    if (line === undefined) return Parsed.Ignored;
    const parsed = parseJson(line.json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRecord('frame is not a JSON object');
    let frame = parsed as Frame;
    if (typeof frame['stream'] === 'string' && typeof frame['data'] === 'object') frame = frame['data'] as Frame;
    if ('lastUpdateId' in frame && 'bids' in frame) {
      const symbol = line.url ? /symbol=([A-Za-z0-9]+)/.exec(line.url)?.[1] : this.#fileSymbol;
      if (!symbol) return Parsed.Ignored;
      const book = new LocalBook(Number(frame['lastUpdateId']));
      book.apply(frame['bids'], book.bids);
      book.apply(frame['asks'], book.asks);
      this.#books.set(symbol.toUpperCase(), book);
      return Parsed.Ignored;
    }
    const event = frame['e'];
    const symbol = frame['s'];
    if (typeof symbol !== 'string') return Parsed.Ignored;
    const market = this.#market(symbol);
    const exchangeTs = Number(frame['T'] ?? frame['E']);
    if (Number.isFinite(exchangeTs) && line.recvMs !== undefined) this.#offsetMs = exchangeTs - line.recvMs;
    switch (event) {
      case 'trade':
      case 'aggTrade': {
        const id = Number(event === 'trade' ? frame['t'] : frame['a']);
        out.push(
          tradeEvent(
            market,
            epochMs(exchangeTs, 'T'),
            positive(frame['p'] as string, 'p'),
            nonNegative(frame['q'] as string, 'q'),
            frame['m'] === true ? 'sell' : frame['m'] === false ? 'buy' : undefined,
            Number.isFinite(id) ? id : undefined,
          ),
        );
        return Parsed.Events;
      }
      case 'kline': {
        const k = frame['k'] as Frame | undefined;
        if (!k || k['x'] !== true) return Parsed.Ignored;
        const openTime = epochMs(Number(k['t']), 'k.t');
        out.push({
          kind: 'candle',
          market,
          ts: Number(k['T']) + 1,
          openTime,
          open: positive(k['o'] as string, 'k.o'),
          high: positive(k['h'] as string, 'k.h'),
          low: positive(k['l'] as string, 'k.l'),
          close: positive(k['c'] as string, 'k.c'),
          volume: nonNegative(k['v'] as string, 'k.v'),
        });
        return Parsed.Events;
      }
      case 'depthUpdate': {
        const book = this.#books.get(symbol.toUpperCase());
        if (!book || Number(frame['u']) <= book.lastUpdateId) return Parsed.Ignored;
        book.apply(frame['b'], book.bids);
        book.apply(frame['a'], book.asks);
        const top = book.top();
        if (!top) return Parsed.Ignored;
        out.push({ kind: 'book', market, ts: epochMs(exchangeTs, 'E'), ...top });
        return Parsed.Events;
      }
      default:
        if (event === undefined && 'b' in frame && 'a' in frame && 'B' in frame) {
          // bookTicker (spot frames have no `e` and no time)
          const ts = Number.isFinite(exchangeTs) ? exchangeTs : line.recvMs !== undefined ? Math.round(line.recvMs + this.#offsetMs) : NaN;
          out.push({
            kind: 'book',
            market,
            ts: epochMs(ts, 'bookTicker time'),
            bidPrice: positive(frame['b'] as string, 'b'),
            bidSize: nonNegative(frame['B'] as string, 'B'),
            askPrice: positive(frame['a'] as string, 'a'),
            askSize: nonNegative(frame['A'] as string, 'A'),
          });
          return Parsed.Events;
        }
        if (event === 'bookTicker') {
          out.push({
            kind: 'book',
            market,
            ts: epochMs(exchangeTs, 'E'),
            bidPrice: positive(frame['b'] as string, 'b'),
            bidSize: nonNegative(frame['B'] as string, 'B'),
            askPrice: positive(frame['a'] as string, 'a'),
            askSize: nonNegative(frame['A'] as string, 'A'),
          });
          return Parsed.Events;
        }
        return Parsed.Ignored;
    }
  }

  #market(symbol: string): string {
    let market = this.#markets.get(symbol);
    if (market === undefined) {
      try {
        market = marketFromSymbol(symbol, this.#futures);
      } catch (error) {
        throw new MalformedRecord((error as Error).message);
      }
      this.#markets.set(symbol, market);
    }
    return market;
  }
}
