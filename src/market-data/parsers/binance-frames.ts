import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import { splitExchangeSymbol } from '../symbols.js';
import { BookSide } from './order-book.js';
import type { ParseOutcome } from './record-parser.js';
import { trade } from './trade-event.js';

type Frame = Record<string, unknown>;
type Levels = [string, string][];

const n = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 ? Number(v) : NaN);

/** Depth diffs kept while waiting for a snapshot: enough for a few seconds of a 100 ms stream. */
const MAX_BUFFERED_DIFFS = 1000;

interface DepthDiff {
  U: number;
  u: number;
  pu: number | undefined;
  ts: number;
  b: Levels;
  a: Levels;
}

/** A local book rebuilt from a REST snapshot plus `depthUpdate` diffs, per Binance's sync procedure. */
class DepthBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  synced = false;
  lastU = 0;
  buffer: DepthDiff[] = [];
  lastTop: [number, number, number, number] | undefined;
}

/**
 * Binance websocket frames, combined (`{"stream","data"}`) or raw: trade, aggTrade, bookTicker,
 * 24hrTicker, closed klines, depth diffs and REST depth snapshots.
 *
 * Times: exchange `T`, else `E`. Spot bookTicker carries neither, so its time is the recorder's
 * receive time shifted by the largest `E − recv` seen so far in the file (the recorder clock can be
 * seconds off the exchange's; the largest shift never stamps a frame before the exchange sent it).
 * Before any timed frame the receive time is used as is.
 *
 * Depth: a book top is emitted only while the local book is in sync: after a snapshot
 * (`lastUpdateId`) in the same capture, with every later diff continuing the update-id sequence
 * (spot `U = last u + 1`, futures `pu = last u`). A break counts a gap and silences that symbol's
 * depth until the next snapshot. Tops are emitted when price or size at the touch changed.
 */
export class BinanceFrames {
  readonly #markets = new Map<string, MarketSymbol | undefined>();
  readonly #books = new Map<string, DepthBook>();
  #clockShift: number | undefined;
  #lastDepthSymbol: string | undefined;
  #pendingSnapshot: { frame: Frame; ts: number } | undefined;
  gaps = 0;
  lastError?: string;

  constructor(
    private readonly futures: boolean,
    private readonly market: MarketSymbol | undefined,
    private readonly depthTops: boolean,
  ) {}

  static isBinanceFrame(f: Frame): boolean {
    return 'stream' in f || 'e' in f || 'lastUpdateId' in f || ('u' in f && 's' in f && 'b' in f && 'a' in f);
  }

  handle(frame: Frame, recvMs: number | undefined, out: MarketEvent[]): ParseOutcome {
    const data = ('data' in frame && 'stream' in frame ? frame['data'] : frame) as Frame | null;
    if (data === null || typeof data !== 'object') return this.#bad('frame without data');
    const exchangeTime = n(data['E']);
    if (recvMs !== undefined && Number.isFinite(exchangeTime)) {
      const shift = exchangeTime - recvMs;
      if (this.#clockShift === undefined || shift > this.#clockShift) this.#clockShift = shift;
    }
    const e = data['e'];
    switch (e) {
      case 'trade':
      case 'aggTrade': {
        const market = this.#marketOf(data['s']);
        const ts = n(data['T'] ?? data['E']);
        const price = n(data['p']);
        const amount = n(data['q']);
        const id = n(e === 'trade' ? data['t'] : data['a']);
        if (market === undefined || !Number.isFinite(ts) || !(price > 0 && amount > 0)) return this.#bad(`bad ${e} frame`);
        const m = data['m'];
        out.push(trade(market, ts, price, amount, m === true ? 'sell' : m === false ? 'buy' : undefined, Number.isSafeInteger(id) ? id : undefined));
        return 'ok';
      }
      case 'bookTicker':
      case undefined: {
        if ('lastUpdateId' in data) return this.#snapshot(data, recvMs, out);
        if (e === undefined && !('u' in data && 'b' in data && 'a' in data && 's' in data)) return 'ignored';
        const market = this.#marketOf(data['s']);
        const ts = this.#time(data, recvMs);
        const bidPrice = n(data['b']);
        const askPrice = n(data['a']);
        const bidSize = n(data['B']);
        const askSize = n(data['A']);
        if (market === undefined || ts === undefined || !(bidPrice > 0 && askPrice > 0 && bidSize >= 0 && askSize >= 0)) {
          return this.#bad('bad bookTicker frame');
        }
        out.push({ kind: 'book', market, ts, bidPrice, bidSize, askPrice, askSize });
        return 'ok';
      }
      case '24hrTicker': {
        const market = this.#marketOf(data['s']);
        const price = n(data['c']);
        const volume24h = n(data['v']);
        const value24h = n(data['q']);
        if (market === undefined || !Number.isFinite(exchangeTime) || !(price > 0)) return this.#bad('bad 24hrTicker frame');
        out.push({ kind: 'ticker', market, ts: exchangeTime, price, volume24h, value24h });
        return 'ok';
      }
      case 'kline': {
        const k = data['k'] as Frame | undefined;
        if (k === undefined || k === null || typeof k !== 'object') return this.#bad('kline frame without k');
        if (k['x'] !== true) return 'ignored'; // an open candle is not known yet
        const market = this.#marketOf(k['s'] ?? data['s']);
        const openTime = n(k['t']);
        const closeTime = n(k['T']);
        const [open, high, low, close, volume] = [n(k['o']), n(k['h']), n(k['l']), n(k['c']), n(k['v'])];
        if (market === undefined || !Number.isFinite(openTime) || !Number.isFinite(closeTime) || !(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0)) {
          return this.#bad('bad kline frame');
        }
        // Binance's close time is the last ms inside the candle; the candle is known one ms later.
        out.push({ kind: 'candle', market, ts: closeTime + 1, openTime, open, high, low, close, volume });
        return 'ok';
      }
      case 'depthUpdate':
        return this.#diff(data, out);
      default:
        return 'ignored';
    }
  }

  #time(data: Frame, recvMs: number | undefined): number | undefined {
    const t = n(data['T'] ?? data['E']);
    if (Number.isFinite(t)) return t;
    if (recvMs === undefined) return undefined;
    return Math.round(recvMs + (this.#clockShift ?? 0));
  }

  #diff(data: Frame, out: MarketEvent[]): ParseOutcome {
    const symbol = data['s'];
    const d: DepthDiff = {
      U: n(data['U']),
      u: n(data['u']),
      pu: 'pu' in data ? n(data['pu']) : undefined,
      ts: n(data['T'] ?? data['E']),
      b: data['b'] as Levels,
      a: data['a'] as Levels,
    };
    if (typeof symbol !== 'string' || !Number.isFinite(d.U) || !Number.isFinite(d.u) || !Number.isFinite(d.ts) || !Array.isArray(d.b) || !Array.isArray(d.a)) {
      return this.#bad('bad depthUpdate frame');
    }
    if (!this.depthTops) return 'ignored';
    this.#lastDepthSymbol = symbol;
    const book = this.#bookOf(symbol);
    const pending = this.#pendingSnapshot;
    if (pending !== undefined) {
      this.#pendingSnapshot = undefined;
      this.#sync(book, pending.frame, pending.ts, out);
    }
    if (!book.synced) {
      book.buffer.push(d);
      if (book.buffer.length > MAX_BUFFERED_DIFFS) book.buffer.shift();
      return 'ok';
    }
    if (d.u <= book.lastU) return 'ok';
    if (!this.#continues(book, d)) {
      this.#desync(book, d);
      return 'ok';
    }
    this.#apply(book, d);
    this.#emitTop(book, symbol, d.ts, out);
    return 'ok';
  }

  #snapshot(data: Frame, recvMs: number | undefined, out: MarketEvent[]): ParseOutcome {
    if (!Number.isFinite(n(data['lastUpdateId'])) || !Array.isArray(data['bids']) || !Array.isArray(data['asks'])) {
      return this.#bad('bad depth snapshot');
    }
    if (!this.depthTops) return 'ignored';
    const ts = this.#time(data, recvMs) ?? NaN;
    // A snapshot names no symbol: it belongs to the depth stream of this capture (one symbol per
    // file in the recorders read); before any diff it waits for the first one.
    if (this.#lastDepthSymbol === undefined) this.#pendingSnapshot = { frame: data, ts };
    else this.#sync(this.#bookOf(this.#lastDepthSymbol), data, ts, out);
    return 'ok';
  }

  #sync(book: DepthBook, snap: Frame, snapTs: number, out: MarketEvent[]): void {
    book.bids.clear();
    book.asks.clear();
    for (const [p, q] of snap['bids'] as Levels) book.bids.set(Number(p), Number(q));
    for (const [p, q] of snap['asks'] as Levels) book.asks.set(Number(p), Number(q));
    book.lastU = n(snap['lastUpdateId']);
    book.synced = true;
    book.lastTop = undefined;
    let ts = snapTs;
    const buffered = book.buffer;
    book.buffer = [];
    let first = true;
    for (const d of buffered) {
      if (d.u <= book.lastU) continue;
      if (first ? d.U > book.lastU + 1 : !this.#continues(book, d)) {
        this.#desync(book, d);
        return;
      }
      first = false;
      this.#apply(book, d);
      ts = d.ts;
    }
    if (Number.isFinite(ts)) this.#emitTop(book, this.#lastDepthSymbol ?? '', ts, out);
  }

  #continues(book: DepthBook, d: DepthDiff): boolean {
    return d.pu !== undefined ? d.pu === book.lastU : d.U === book.lastU + 1;
  }

  #desync(book: DepthBook, d: DepthDiff): void {
    this.gaps++;
    book.synced = false;
    book.bids.clear();
    book.asks.clear();
    book.buffer = [d];
  }

  #apply(book: DepthBook, d: DepthDiff): void {
    for (const [p, q] of d.b) book.bids.set(Number(p), Number(q));
    for (const [p, q] of d.a) book.asks.set(Number(p), Number(q));
    book.lastU = d.u;
  }

  #emitTop(book: DepthBook, symbol: string, ts: number, out: MarketEvent[]): void {
    const market = this.#marketOf(symbol);
    const bidPrice = book.bids.prices[0];
    const askPrice = book.asks.prices[0];
    if (market === undefined || bidPrice === undefined || askPrice === undefined) return;
    const bidSize = book.bids.sizes[0] as number;
    const askSize = book.asks.sizes[0] as number;
    const last = book.lastTop;
    if (last !== undefined && last[0] === bidPrice && last[1] === bidSize && last[2] === askPrice && last[3] === askSize) return;
    book.lastTop = [bidPrice, bidSize, askPrice, askSize];
    out.push({ kind: 'book', market, ts, bidPrice, bidSize, askPrice, askSize });
  }

  #bookOf(symbol: string): DepthBook {
    let book = this.#books.get(symbol);
    if (book === undefined) {
      book = new DepthBook();
      this.#books.set(symbol, book);
    }
    return book;
  }

  #bad(reason: string): ParseOutcome {
    this.lastError = reason;
    return 'malformed';
  }

  #marketOf(symbol: unknown): MarketSymbol | undefined {
    if (this.market !== undefined) return this.market;
    if (typeof symbol !== 'string') return undefined;
    let m = this.#markets.get(symbol);
    if (m === undefined && !this.#markets.has(symbol)) {
      m = splitExchangeSymbol(symbol, this.futures ? 'quote' : undefined);
      this.#markets.set(symbol, m);
    }
    return m;
  }
}
