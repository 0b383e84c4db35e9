import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import { upbitMarket } from '../symbols.js';
import { CandleParser } from './candle-parser.js';
import type { ParseOutcome, RecordParser } from './record-parser.js';
import { parseUtcTime } from './utc-time.js';

/** One candle as read: market, open time, then the row CandleParser reads (`openTime,open,high,low,close,volume`). */
interface HeldCandle {
  readonly market: MarketSymbol;
  readonly openTime: number;
  readonly row: string;
  readonly unit: number | undefined;
}

const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;

/**
 * Upbit's REST candles (`GET /v1/candles/minutes/{unit}`, `/days`, `/weeks`) saved as their JSON answer:
 * an array of objects `{market, candle_date_time_utc, opening_price, high_price, low_price, trade_price,
 * candle_acc_trade_volume, unit?...}`, newest first, pages appended as the user fetched them. The answer
 * is held whole (Upbit gives 200 candles a request) and read in time order by a CandleParser per market:
 * emitted at open time + timeframe, the timeframe from the options, else `unit` (minutes), else the file
 * name, else the rows' spacing. A candle given twice (overlapping pages) is read once, and said so.
 */
export class UpbitCandlesParser implements RecordParser {
  lastError?: string;
  warning?: string;
  #held: HeldCandle[] = [];

  constructor(
    private readonly market: MarketSymbol | undefined,
    /** The timeframe the caller gives: before each candle's `unit`. */
    private readonly timeframeMs: number | undefined,
    /** The timeframe the file name gives: after each candle's `unit`. */
    private readonly namedTimeframeMs: number | undefined,
  ) {}

  parse(record: string, _out: MarketEvent[]): ParseOutcome {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(`{${record}}`) as Record<string, unknown>;
    } catch {
      this.lastError = `invalid JSON object {${record.slice(0, 80)}}`;
      return 'malformed';
    }
    const code = o['market'];
    const market = this.market ?? (typeof code === 'string' ? upbitMarket(code.toUpperCase()) : undefined);
    const time = o['candle_date_time_utc'];
    const openTime = typeof time === 'string' ? parseUtcTime(time) : NaN;
    const [open, high, low, close, volume] = [o['opening_price'], o['high_price'], o['low_price'], o['trade_price'], o['candle_acc_trade_volume']];
    if (market === undefined || !Number.isInteger(openTime) || !positive(open) || !positive(high) || !positive(low) || !positive(close) || typeof volume !== 'number' || volume < 0) {
      this.lastError = market === undefined ? `no Upbit market code in {${record.slice(0, 80)}}` : `not an Upbit candle (candle_date_time_utc, opening_price, high_price, low_price, trade_price, candle_acc_trade_volume): {${record.slice(0, 120)}}`;
      return 'malformed';
    }
    const unit = o['unit'];
    this.#held.push({ market, openTime, row: `${openTime},${open},${high},${low},${close},${volume}`, unit: typeof unit === 'number' && unit > 0 ? unit * 60_000 : undefined });
    // A record read: its candle comes out at the end.
    return 'ok';
  }

  /** The candles held, in time order, through a CandleParser per market (its checks, its timeframe). */
  end(out: MarketEvent[]): void {
    const held = this.#held;
    this.#held = [];
    // Stable: candles of one time keep the file's order of markets.
    const order = held.map((_, i) => i).sort((a, b) => (held[a] as HeldCandle).openTime - (held[b] as HeldCandle).openTime || a - b);
    const parsers = new Map<MarketSymbol, CandleParser>();
    const lastOpen = new Map<MarketSymbol, number>();
    const from = out.length;
    let repeated = 0;
    let dropped = 0;
    let firstDrop: string | undefined;
    for (const i of order) {
      const c = held[i] as HeldCandle;
      if (lastOpen.get(c.market) === c.openTime) {
        repeated++;
        continue;
      }
      lastOpen.set(c.market, c.openTime);
      let parser = parsers.get(c.market);
      if (parser === undefined) {
        parser = new CandleParser(c.market, this.timeframeMs ?? c.unit ?? this.namedTimeframeMs, false);
        parsers.set(c.market, parser);
      }
      if (parser.parse(c.row, out) === 'malformed') {
        dropped++;
        firstDrop ??= `${c.market} ${new Date(c.openTime).toISOString()}: ${parser.lastError}`;
      }
    }
    const notes: string[] = [];
    for (const [market, parser] of parsers) {
      parser.end(out);
      if (parser.warning !== undefined) notes.push(`${market}: ${parser.warning}`);
    }
    // Each market's candles come out in order; markets of other timeframes are put in order of their close.
    const added = out.splice(from).sort((a, b) => a.ts - b.ts);
    for (const e of added) out.push(e);
    if (repeated > 0) notes.push(`${repeated} candle(s) given twice (overlapping pages) read once`);
    if (dropped > 0) notes.push(`${dropped} candle(s) dropped, the first ${firstDrop}`);
    if (notes.length > 0) this.warning = notes.join('; ');
  }
}
