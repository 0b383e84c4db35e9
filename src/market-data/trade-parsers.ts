import type { MarketEvent, TakerSide } from '../core/index.js';
import { marketFromSymbol } from './market-names.js';
import { epochMs, MalformedRecord, nonNegative, Parsed, parseJson, positive, tradeEvent, type RecordParser } from './record-parser.js';

/** Epoch time in any common unit or ISO text → ms. Digits decide the unit: 10 s, 13 ms, 16 µs, 19 ns. */
export function toEpochMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const digits = text.indexOf('.') >= 0 ? text.indexOf('.') : text.length;
    const n = Number(text);
    if (digits <= 10) return n * 1000;
    if (digits <= 13) return n;
    if (digits <= 16) return Math.floor(n / 1000);
    return Math.floor(n / 1_000_000);
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new MalformedRecord(`unreadable time "${text}"`);
  return parsed;
}

const TIME = ['trade_time_ms', 'timestamp', 'time', 'ts', 'date', 'transact_time'];
const ID = ['trade_id', 'id', 'tid', 'sequential_id'];
const PRICE = ['price', 'p'];
const AMOUNT = ['qty', 'quantity', 'amount', 'size', 'volume', 'q'];
const SIDE = ['taker_side', 'side'];
const MAKER = ['is_buyer_maker', 'buyer_maker', 'm'];

/**
 * Trade CSVs with a header: Binance extracts (`market,symbol,trade_time_ms,…,trade_id,price,qty,taker_side,
 * is_buyer_maker`, several markets in one file), Tardis (`exchange,symbol,timestamp(µs),…,id,side,price,amount`)
 * and nautilus-style (`timestamp(ISO),trade_id,price,quantity,buyer_maker`). Columns are found by name;
 * the market comes from the `symbol` column (futures when `market`/`exchange` says usdm/futures) or,
 * without one, from the file name.
 */
export class TradeCsvParser implements RecordParser {
  readonly #fallbackMarket: string | undefined;
  readonly #fileFutures: boolean;
  #cols: { time: number; id: number; price: number; amount: number; side: number; maker: number; symbol: number; venue: number } | undefined;
  readonly #markets = new Map<string, string>();

  constructor(fallbackMarket: string | undefined, fileFutures: boolean) {
    this.#fallbackMarket = fallbackMarket;
    this.#fileFutures = fileFutures;
  }

  parse(record: string, out: MarketEvent[]): Parsed {
    const cells = record.split(',');
    if (this.#cols === undefined) {
      const header = cells.map((c) => c.trim().toLowerCase().replace(/\(.*\)$/, ''));
      const find = (names: string[]): number => header.findIndex((h) => names.includes(h));
      this.#cols = {
        time: find(TIME),
        id: find(ID),
        price: find(PRICE),
        amount: find(AMOUNT),
        side: find(SIDE),
        maker: find(MAKER),
        symbol: find(['symbol', 'pair', 'code']),
        venue: find(['market', 'exchange']),
      };
      if (this.#cols.time < 0 || this.#cols.price < 0 || this.#cols.amount < 0) {
        throw new MalformedRecord(`trade header needs time, price and amount columns; got "${record}"`);
      }
      if (this.#cols.symbol < 0 && this.#fallbackMarket === undefined) {
        throw new MalformedRecord('no symbol column and no market in the file name: pass --market BASE/QUOTE');
      }
      return Parsed.Ignored;
    }
    const c = this.#cols;
    if (cells.length < minColumns(c)) throw new MalformedRecord(`expected at least ${minColumns(c)} columns, got ${cells.length}`);
    const ts = epochMs(toEpochMs(cells[c.time] as string), 'time');
    const price = positive(cells[c.price], 'price');
    const amount = nonNegative(cells[c.amount], 'amount');
    let side: TakerSide | undefined;
    if (c.side >= 0) {
      const s = (cells[c.side] as string).toLowerCase();
      side = s === 'buy' || s === 'bid' ? 'buy' : s === 'sell' || s === 'ask' ? 'sell' : undefined;
    }
    if (side === undefined && c.maker >= 0) {
      const m = (cells[c.maker] as string).toLowerCase();
      side = m === 'true' || m === '1' ? 'sell' : m === 'false' || m === '0' ? 'buy' : undefined;
    }
    const market = c.symbol >= 0 ? this.#market(cells[c.symbol] as string, c.venue >= 0 ? (cells[c.venue] as string) : '') : (this.#fallbackMarket as string);
    const idText = c.id >= 0 ? (cells[c.id] as string) : '';
    const id = idText !== '' && /^\d+$/.test(idText) ? Number(idText) : undefined;
    out.push(tradeEvent(market, ts, price, amount, side, id));
    return Parsed.Events;
  }

  #market(symbol: string, venue: string): string {
    const key = `${venue}|${symbol}`;
    let market = this.#markets.get(key);
    if (market === undefined) {
      const futures = venue === '' ? this.#fileFutures : /(usdm|futures|perp|swap)/i.test(venue);
      try {
        market = marketFromSymbol(symbol, futures);
      } catch (error) {
        throw new MalformedRecord((error as Error).message);
      }
      this.#markets.set(key, market);
    }
    return market;
  }
}

function minColumns(c: { time: number; price: number; amount: number }): number {
  return Math.max(c.time, c.price, c.amount) + 1;
}

/** freqtrade's trades JSON: `[[ts_ms, id, type, side, price, amount, cost], …]`; market from the file name. */
export class FreqtradeTradesParser implements RecordParser {
  constructor(private readonly market: string) {}

  parse(record: string, out: MarketEvent[]): Parsed {
    const v = parseJson(record);
    if (!Array.isArray(v) || v.length < 6) throw new MalformedRecord('expected [ts, id, type, side, price, amount, cost]');
    const ts = epochMs(Number(v[0]), 'timestamp');
    const side = v[3] === 'buy' ? 'buy' : v[3] === 'sell' ? 'sell' : undefined;
    const id = typeof v[1] === 'number' || (typeof v[1] === 'string' && /^\d+$/.test(v[1])) ? Number(v[1]) : undefined;
    out.push(tradeEvent(this.market, ts, positive(v[4] as number, 'price'), nonNegative(v[5] as number, 'amount'), side, id));
    return Parsed.Events;
  }
}
