import type { MarketEvent, MarketSymbol, TakerSide } from '../../core/index.js';
import { trade } from './trade-event.js';
import { splitExchangeSymbol, upbitMarket } from '../symbols.js';
import { MICROSECONDS, num, type ParseOutcome, type RecordParser } from './record-parser.js';
import { parseUtcTime } from './utc-time.js';

/** Names markets from (venue, exchange symbol) once per distinct pair: symbol splitting is not per row. */
class MarketNamer {
  readonly #cache = new Map<string, MarketSymbol | undefined>();
  /** How a venue's contracts settle (see splitExchangeSymbol); undefined for spot. `split` replaces splitExchangeSymbol. */
  constructor(
    private readonly settle: (venue: string) => 'quote' | 'auto' | undefined,
    private readonly split?: (symbol: string) => MarketSymbol | undefined,
  ) {}
  name(venue: string, symbol: string): MarketSymbol | undefined {
    const key = `${venue}\u0000${symbol}`;
    if (this.#cache.has(key)) return this.#cache.get(key);
    const market = this.split !== undefined ? this.split(symbol) : splitExchangeSymbol(symbol, this.settle(venue));
    this.#cache.set(key, market);
    return market;
  }
}

function side(text: string | undefined): TakerSide | undefined {
  return text === 'buy' ? 'buy' : text === 'sell' ? 'sell' : undefined;
}

/** A finite time, a positive finite price and amount (`Infinity` and `1e400` are numbers to Number()). */
function validTrade(ts: number, price: number, amount: number): boolean {
  return Number.isFinite(ts) && price > 0 && amount > 0 && price < Infinity && amount < Infinity;
}

/**
 * The Binance trades extract (`market,symbol,trade_time_ms,local_recv_ns,trade_id,price,qty,taker_side,is_buyer_maker`).
 * One file can hold several markets: `spot` BTCUSDT → `BTC/USDT`, `usdm` BTCUSDT → `BTC/USDT:USDT`,
 * `coinm` BTCUSD_PERP → `BTC/USD:BTC`. `market` (option) overrides all of them.
 */
export class BinanceTradesCsvParser implements RecordParser {
  lastError?: string;
  readonly #namer = new MarketNamer((venue) => (venue === 'spot' ? undefined : 'quote'));
  constructor(private readonly market?: MarketSymbol) {}

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const f = record.split(',');
    if (f[0] === 'market') return 'ignored';
    const venue = f[0] ?? '';
    const ts = num(f[2]);
    const id = num(f[4]);
    const price = num(f[5]);
    const amount = num(f[6]);
    const market =
      this.market ?? (venue === 'coinm' ? splitExchangeSymbol(f[1] ?? '', 'base') : this.#namer.name(venue, f[1] ?? ''));
    if (f.length < 8 || market === undefined || !validTrade(ts, price, amount)) {
      this.lastError = market === undefined ? `unknown symbol "${f[1]}"` : `bad trade row "${record}"`;
      return 'malformed';
    }
    const taker = side(f[7]) ?? (f[8] === 'true' ? 'sell' : f[8] === 'false' ? 'buy' : undefined);
    out.push(trade(market, ts, price, amount, taker, id));
    return 'ok';
  }
}

/**
 * Tardis `exchange,symbol,timestamp,local_timestamp,id,side,price,amount` with µs timestamps, any exchange:
 * the symbol joined or separated (`BTCUSDT`, `BTC-USD`, `BTC-USDT-SWAP`; see splitExchangeSymbol). Exchange
 * names containing `futures`/`swap`/`perp` are derivatives, linear (settled in the quote) when quoted in a
 * stablecoin, else inverse; `delivery` ones are settled in the base. A symbol's own contract part
 * (`-SWAP`, `_PERP`, a date) makes a derivative on any venue. Upbit's symbols are QUOTE-BASE (`KRW-BTC` → `BTC/KRW`).
 */
export class TardisTradesCsvParser implements RecordParser {
  lastError?: string;
  // Tardis names the venue (binance-futures, okex-swap, huobi-dm-swap…) and keeps the exchange's own symbol
  // (BTCUSDT, BTC-USDT-SWAP, BTC-USD, XBTUSD): a derivatives venue's contracts settle by their quote.
  readonly #namer = new MarketNamer((venue) => (venue.includes('futures') || venue.includes('swap') || venue.includes('perp') ? 'auto' : undefined));
  // Upbit writes its markets quote first (KRW-BTC is BTC/KRW), the other way round from every other venue.
  readonly #upbit = new MarketNamer(() => undefined, (symbol) => upbitMarket(symbol.toUpperCase()));
  constructor(private readonly market?: MarketSymbol) {}

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const f = record.split(',');
    if (f[0] === 'exchange') return 'ignored';
    const venue = f[0] ?? '';
    const micros = num(f[2]);
    const price = num(f[6]);
    const amount = num(f[7]);
    const market =
      this.market ??
      (venue.includes('delivery') ? splitExchangeSymbol(f[1] ?? '', 'base') : venue === 'upbit' ? this.#upbit.name(venue, f[1] ?? '') : this.#namer.name(venue, f[1] ?? ''));
    if (f.length < 8 || market === undefined || !validTrade(micros, price, amount)) {
      this.lastError = market === undefined ? `unknown symbol "${f[1]}"` : `bad trade row "${record}"`;
      return 'malformed';
    }
    // Events are in whole ms; µs are floored (file order still keeps sub-ms order).
    out.push(trade(market, Math.floor(micros / 1000), price, amount, side(f[5]), idOf(f[4])));
    return 'ok';
  }
}

/** Nautilus `timestamp,trade_id,price,quantity,buyer_maker` with ISO-8601 timestamps (UTC unless they say otherwise); market from the name. */
export class NautilusTradesCsvParser implements RecordParser {
  lastError?: string;
  constructor(private readonly market: MarketSymbol) {}

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const f = record.split(',');
    if (f[0] === 'timestamp') return 'ignored';
    const ts = parseUtcTime(f[0] ?? '');
    const price = num(f[2]);
    const amount = num(f[3]);
    const maker = (f[4] ?? '').toLowerCase();
    if (f.length < 5 || !validTrade(ts, price, amount) || (maker !== 'true' && maker !== 'false')) {
      this.lastError = `bad trade row "${record}"`;
      return 'malformed';
    }
    out.push(trade(this.market, ts, price, amount, maker === 'true' ? 'sell' : 'buy', idOf(f[1])));
    return 'ok';
  }
}

/**
 * Binance's public trade files (data.binance.vision), one market a file, named by it (`BTCUSDT-trades-2024-08-08.csv`):
 * `trades` rows `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` and `aggTrades` rows
 * `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]`; spot's
 * without a header, futures' with one (ignored). The time is in ms, or in µs (spot since 2025: floored to ms, file
 * order keeps sub-ms order); a buyer who was the maker means the taker sold (`True`/`true` both read).
 */
export class BinanceVisionTradesParser implements RecordParser {
  lastError?: string;
  /** Where the time is (the maker flag follows it): 4 in `trades` rows, 5 in `aggTrades` rows. */
  readonly #timeAt: number;
  /** The last id read: Binance numbers a market's trades (and aggregates) in order, so one not after it is a repeat. */
  #lastId = -Infinity;

  constructor(
    private readonly market: MarketSymbol,
    layout: 'trades' | 'aggTrades',
  ) {
    this.#timeAt = layout === 'trades' ? 4 : 5;
  }

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const f = record.split(',');
    const at = this.#timeAt;
    if (f[at] === 'time' || f[at] === 'transact_time') return 'ignored';
    const time = num(f[at]);
    const price = num(f[1]);
    const amount = num(f[2]);
    const maker = (f[at + 1] ?? '').trim().toLowerCase();
    if (f.length < at + 2 || f.length > at + 3 || !Number.isInteger(time) || !validTrade(time, price, amount) || (maker !== 'true' && maker !== 'false')) {
      this.lastError = `bad trade row "${record}"`;
      return 'malformed';
    }
    const id = idOf(f[0]);
    if (id !== undefined) {
      // Files joined with an overlap (daily files concatenated) repeat trades: each would count its volume twice.
      if (id <= this.#lastId) {
        this.lastError = `trade id ${id} ${id === this.#lastId ? 'repeats' : 'is before'} the last one read (${this.#lastId}): rows read twice (files joined with an overlap?)`;
        return 'malformed';
      }
      this.#lastId = id;
    }
    const ts = time >= MICROSECONDS ? Math.floor(time / 1000) : time;
    out.push(trade(this.market, ts, price, amount, maker === 'true' ? 'sell' : 'buy', id));
    return 'ok';
  }
}

/** freqtrade trades JSON rows `[ts_ms, id, order_type, side, price, amount, cost]`; market from the name. */
export class FreqtradeTradesParser implements RecordParser {
  lastError?: string;
  constructor(private readonly market: MarketSymbol) {}

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const f = record.split(',');
    const ts = num(f[0]);
    const price = num(f[4]);
    const amount = num(f[5]);
    if (f.length < 6 || !validTrade(ts, price, amount)) {
      this.lastError = `bad trade record [${record}]`;
      return 'malformed';
    }
    out.push(trade(this.market, ts, price, amount, side(unquote(f[3])), idOf(unquote(f[1]))));
    return 'ok';
  }
}

function unquote(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return t.length >= 2 && t.charCodeAt(0) === 34 ? t.slice(1, -1) : t;
}

function idOf(text: string | undefined): number | undefined {
  const id = num(text);
  return Number.isSafeInteger(id) ? id : undefined;
}
