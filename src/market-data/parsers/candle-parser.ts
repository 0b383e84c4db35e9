import type { CandleEvent, MarketEvent, MarketSymbol } from '../../core/index.js';
import { MICROSECONDS as IMPORTED_MICROSECONDS, parseDecimal, POW10 as IMPORTED_POW10, type ParseOutcome, type RecordParser } from './record-parser.js';
import { parseUtcTime } from './utc-time.js';
import { candleHeaderColumns, TIME_COLUMN, unquote } from '../candle-header.js';
import { MILLISECONDS as IMPORTED_MILLISECONDS, NANOSECONDS as IMPORTED_NANOSECONDS, SECONDS as IMPORTED_SECONDS } from '../epoch-units.js';

/** Local bindings: loaded as CommonJS (a reader thread under tsx) every use of an import is a getter call. */
const POW10 = IMPORTED_POW10;
const MICROSECONDS = IMPORTED_MICROSECONDS;

/** A duration as the largest whole unit: 1 d, 4 h, 15 min, 30 s, 250 ms. */
function span(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** An open time below it is in seconds, or no time at all. */
const MIN_OPEN_TIME = IMPORTED_MILLISECONDS;
/** An open time below it is no time at all (1973 in seconds). */
const MIN_OPEN_SECONDS = IMPORTED_SECONDS;

/** Rows whose smallest spacing gives the timeframe when the file name has none. */
const INFER_ROWS = 8;

/**
 * Rows whose spacing is checked against a timeframe the file name (or options) gives: enough that sparse
 * candles (Upbit sends none for a minute without trades) do not pass for a coarser timeframe by chance.
 */
const CHECK_ROWS = 32;

const DAY = 86_400_000;

/** Open times all at 00:00 UTC on a month's first day, 28 days apart or more: candles of calendar months (or quarters). */
function calendarMonths(opens: readonly number[]): boolean {
  if (opens.length < 2) return false;
  for (let i = 0; i < opens.length; i++) {
    const t = opens[i] as number;
    if (t % DAY !== 0 || new Date(t).getUTCDate() !== 1 || (i > 0 && t - (opens[i - 1] as number) < 28 * DAY)) return false;
  }
  return true;
}

const gcd = (a: number, b: number): number => {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
};

const NANOSECONDS = IMPORTED_NANOSECONDS;

/**
 * OHLCV rows `timestamp,open,high,low,close,volume` (open time in ms) from freqtrade's CSV or the
 * inner arrays of its JSON; also with the open time in microseconds or as an ISO-8601 time (a `date`
 * header), and with more columns after the volume (Binance's public klines: ignored). A candle is
 * emitted at its close time, open time + timeframe. Without a timeframe from the file name or options,
 * the smallest spacing of the first INFER_ROWS rows gives it (those rows are held until then).
 */
export class CandleParser implements RecordParser {
  lastError?: string;
  #timeframeMs: number | undefined;
  /** Rows read before the timeframe is known (none in the file name): their smallest spacing gives it. */
  #held: [number, number, number, number, number, number][] = [];
  /** The timeframe came from the rows' spacing, not the file name or options. */
  #inferred = false;
  /** The timeframe the file name or options give, checked against the first CHECK_ROWS rows' spacing before it is used. */
  readonly #named: number | undefined;
  /** Set once when the rows' spacing overrode the named timeframe: the file reader reports it (a warning, nothing skipped). */
  warning?: string;
  /** Open time of the last row emitted: a row not after it repeats or precedes it and is dropped (counted). */
  #lastOpen = -Infinity;
  /** The header's columns when they are not `time,open,high,low,close,volume` in that order, unquoted: rows are reordered (text path only). */
  #columns: number[] | undefined;

  constructor(
    private readonly market: MarketSymbol,
    timeframeMs: number | undefined,
    private readonly hasHeader: boolean,
  ) {
    this.#named = timeframeMs;
  }

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const columns = this.#columns;
    if (columns !== undefined && record.length > 0) {
      // Put back in the usual order, unquoted (a header so put back is still a header).
      const fields = record.split(',');
      record = columns.map((at) => unquote((fields[at] ?? '').trim())).join(',');
    }
    // indexOf scanning instead of split: this is the hot loop of candle backtests.
    const c1 = record.indexOf(',');
    const c2 = record.indexOf(',', c1 + 1);
    const c3 = record.indexOf(',', c2 + 1);
    const c4 = record.indexOf(',', c3 + 1);
    const c5 = record.indexOf(',', c4 + 1);
    if (c1 === -1 || c2 === -1 || c3 === -1 || c4 === -1 || c5 === -1) {
      if (record.trim().length === 0) return 'ignored';
      this.lastError = `expected 6 fields, found ${record.split(',').length}`;
      return 'malformed';
    }
    const c6 = record.indexOf(',', c5 + 1); // freqtrade JSON may carry extra columns; they are ignored
    let openTime = parseDecimal(record, 0, c1);
    const open = parseDecimal(record, c1 + 1, c2);
    const high = parseDecimal(record, c2 + 1, c3);
    const low = parseDecimal(record, c3 + 1, c4);
    const close = parseDecimal(record, c4 + 1, c5);
    const volume = parseDecimal(record, c5 + 1, c6 === -1 ? record.length : c6);
    if (!Number.isInteger(openTime)) {
      // A header starts otherwise than a time does (an ISO date's digit): the rows of a `date` file skip this test.
      const c = record.charCodeAt(0);
      if (this.hasHeader && !(c >= 48 && c <= 57)) {
        const columns = candleHeaderColumns(record);
        if (columns !== undefined || TIME_COLUMN.test(record.slice(0, c1).trim())) {
          // Columns in another order, or quoted: each row after is put back in the usual order, unquoted.
          if (columns !== undefined && (columns.some((at, i) => at !== i) || record.includes('"'))) this.#columns = columns;
          return 'ignored';
        }
      }
      // An ISO-8601 time (pandas and freqtrade exports: `2021-01-01 00:00:00+00:00`), UTC when it names no zone.
      openTime = parseUtcTime(record.slice(0, c1));
      if (!Number.isInteger(openTime)) {
        this.lastError = `bad timestamp "${record.slice(0, c1)}"`;
        return 'malformed';
      }
    } else if (openTime >= NANOSECONDS) {
      // Beyond 2^53: the whole milliseconds are read from the digits, not from the rounded number.
      const digits = record.slice(0, c1).trim();
      if (!/^\d+000000$/.test(digits)) {
        this.lastError = `timestamp ${digits} in nanoseconds is not a whole millisecond`;
        return 'malformed';
      }
      openTime = Number(digits.slice(0, -6));
    } else if (openTime >= MICROSECONDS) {
      if (openTime % 1000 !== 0) {
        this.lastError = `timestamp ${openTime} in microseconds is not a whole millisecond`;
        return 'malformed';
      }
      openTime /= 1000;
    }
    // Every price positive and finite (`Infinity`, `1e400` are numbers to Number()), volume finite and non-negative,
    // and low ≤ open, close ≤ high: else the row is garbage.
    if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0 && high < Infinity && volume < Infinity) || low > high || open > high || open < low || close > high || close < low) {
      this.lastError = `bad OHLCV values "${record}"`;
      return 'malformed';
    }
    if (openTime < MIN_OPEN_TIME) {
      // Epoch seconds (Kraken's, Coinbase's and many exporters' candles), told by their size as the other units are.
      if (openTime < MIN_OPEN_SECONDS) {
        this.lastError = `timestamp ${openTime} is before 1973 in seconds and in milliseconds: not an epoch time`;
        return 'malformed';
      }
      openTime *= 1000;
    }
    const tf = this.#timeframeMs;
    // While the rows for the timeframe are held, a named one already drops rows that open inside a candle of it.
    const least = tf ?? this.#named ?? 1;
    if (openTime < this.#lastOpen + least) {
      this.lastError =
        openTime > this.#lastOpen
          ? `a row opening ${span(openTime - this.#lastOpen)} after the last one, inside its ${span(least)} candle (${this.#inferred ? `the ${span(least)} is the ${this.#named === undefined ? 'smallest' : 'common'} spacing of the first rows: name the file with its timeframe, as BTC_USDT-5m.csv` : 'is the timeframe in the file name right?'})`
          : `${openTime === this.#lastOpen ? 'a second row' : 'a row out of order'} for open time ${new Date(openTime).toISOString()} (the last row read opened at ${new Date(this.#lastOpen).toISOString()})`;
      if (openTime < this.#lastOpen && this.#lastOpen === this.#firstOpen) this.#newestFirst(openTime);
      return 'malformed';
    }
    this.#firstOpen ??= openTime;
    if (tf === undefined) {
      this.#held.push([openTime, open, high, low, close, volume]);
      this.#lastOpen = openTime;
      if (this.#held.length === (this.#named === undefined ? INFER_ROWS : CHECK_ROWS)) this.#release(out);
      return 'ok';
    }
    this.#lastOpen = openTime;
    out.push(this.#candle(openTime, open, high, low, close, volume, tf));
    return 'ok';
  }

  /**
   * The row in `bytes[start, end)` (no line break), read straight from the file's bytes: plain rows
   * (unsigned decimals of up to 15 digits, an integer timestamp, values that pass the checks of `parse`)
   * become the same event `parse` makes of the row's text, with no string made. Anything else — a header,
   * a blank or malformed row, an unusual number, the rows before the timeframe is known — returns false
   * untouched: the caller parses the row's text with `parse`, so every outcome and message is its.
   */
  parseBytes(bytes: Uint8Array, start: number, end: number, out: MarketEvent[]): boolean {
    const tf = this.#timeframeMs;
    if (tf === undefined || this.#columns !== undefined || !this.#scan(bytes, start, end)) return false;
    const v = this.#values;
    this.#lastOpen = v[5] as number;
    out.push(this.#candle(v[5] as number, v[0] as number, v[1] as number, v[2] as number, v[3] as number, v[4] as number, tf));
    return true;
  }

  /**
   * parseBytes into columns (a reader thread's, see event-columns.ts): the same rows taken, written as
   * ts, openTime, open, high, low, close, volume at `columns[at..at + 7)` instead of an event object.
   */
  parseBytesToColumns(bytes: Uint8Array, start: number, end: number, columns: Float64Array, at: number): boolean {
    const tf = this.#timeframeMs;
    if (tf === undefined || this.#columns !== undefined || !this.#scan(bytes, start, end)) return false;
    const v = this.#values;
    const openTime = v[5] as number;
    this.#lastOpen = openTime;
    columns[at] = openTime + tf;
    columns[at + 1] = openTime;
    columns[at + 2] = v[0] as number;
    columns[at + 3] = v[1] as number;
    columns[at + 4] = v[2] as number;
    columns[at + 5] = v[3] as number;
    columns[at + 6] = v[4] as number;
    return true;
  }

  /** Reads a plain row into #values (open, high, low, close, volume, openTime); false when parse must take it. */
  #scan(bytes: Uint8Array, start: number, end: number): boolean {
    let i = start;
    // The timestamp: digits only, up to the first comma.
    let openTime = 0;
    let digits = 0;
    for (; i < end; i++) {
      const d = (bytes[i] as number) - 48;
      if (d < 0 || d > 9) break;
      openTime = openTime * 10 + d;
      digits++;
    }
    if (digits === 0 || digits > 15 || i === end || bytes[i] !== 44) return false;
    // open, high, low, close, volume: each `digits[.digits]`, ended by a comma (the volume also by the row's end).
    const values = this.#values;
    for (let f = 0; f < 5; f++) {
      i++;
      let mantissa = 0;
      let n = 0;
      let fraction = -1;
      for (; i < end; i++) {
        const d = (bytes[i] as number) - 48;
        if (d >= 0 && d <= 9) {
          mantissa = mantissa * 10 + d;
          n++;
          if (fraction >= 0) fraction++;
        } else if (d === -2 && fraction < 0) fraction = 0;
        else break;
      }
      if (n === 0 || n > 15) return false;
      if (i < end ? bytes[i] !== 44 : f < 4) return false;
      values[f] = fraction > 0 ? mantissa / (POW10[fraction] as number) : mantissa;
    }
    const open = values[0] as number;
    const high = values[1] as number;
    const low = values[2] as number;
    const close = values[3] as number;
    if (!(open > 0 && high > 0 && low > 0 && close > 0) || low > high || open > high || open < low || close > high || close < low) return false;
    if (openTime < this.#lastOpen + (this.#timeframeMs ?? 1) || openTime < MIN_OPEN_TIME) return false;
    values[5] = openTime;
    return true;
  }

  readonly #values = new Float64Array(6);

  /** The first row's open time (it always comes through parse: rows are held until the timeframe is known). */
  #firstOpen: number | undefined;
  /** Rows after the first, each earlier than the one before, none after the first: the file runs newest first. */
  #earlier = 0;
  #earliest = Infinity;

  /**
   * A row earlier than the only one read so far. Two such in a row, each earlier than the last, are a file
   * newest first (CryptoDataDownload's CSVs, Upbit's answers made CSV): read in order, every row but the first
   * was dropped as out of order, a market's whole history lost to one warning. It is refused instead.
   */
  #newestFirst(openTime: number): void {
    if (openTime >= this.#earliest) return;
    this.#earliest = openTime;
    if (++this.#earlier >= 2) {
      throw new Error(`its rows run newest first (${new Date(this.#lastOpen).toISOString()}, then earlier): candles are read oldest first; sort the file by its open time`);
    }
  }

  /** Emits the rows held for the timeframe; a file of one row and no timeframe cannot be emitted (its timeframe is unknowable). */
  end(out?: MarketEvent[]): void {
    if (this.#held.length === 1 && this.#named === undefined) {
      throw new Error('a single candle row and no timeframe (name the file like BTC_USDT-5m.csv or pass timeframeMs)');
    }
    if (this.#held.length > (this.#named === undefined ? 1 : 0) && out !== undefined) this.#release(out);
  }

  /**
   * Sets the timeframe from the rows held and emits them. Without a named timeframe it is their smallest
   * spacing, not the first: a row missing between the first two would double the timeframe and drop every
   * other row after. With one, it stays unless every spacing is a multiple of a larger one (hourly rows in a
   * file named `-5m`): read with the name's, each candle would be known 55 minutes before it closed, so
   * the rows' spacing is used, with a warning. Gaps (a minute without trades) leave the spacings' greatest
   * common divisor at the name's: sparse candles keep their timeframe.
   */
  #release(out: MarketEvent[]): void {
    const held = this.#held;
    const named = this.#named;
    if (calendarMonths(held.map((row) => row[0]))) {
      // No fixed timeframe stamps them at their close: with 28 days (or the name's) a 31-day month's candle is known days early.
      throw new Error('its rows open on the first of each month (calendar-month candles): a month has no fixed length, and read with one each longer month\'s candle would be known before it closed; give candles of a fixed timeframe (1w or shorter)');
    }
    let spacing = named === undefined ? Infinity : 0;
    for (let i = 1; i < held.length; i++) {
      const step = (held[i] as number[])[0] as number - ((held[i - 1] as number[])[0] as number);
      spacing = named === undefined ? Math.min(spacing, step) : gcd(spacing, step);
    }
    let tf = spacing;
    if (named !== undefined) {
      tf = spacing > named ? spacing : named;
      if (tf !== named) {
        this.warning = `its rows are ${span(spacing)} apart, not the ${span(named)} its name (or timeframe option) says: read as ${span(spacing)} candles, each at its close (with ${span(named)} each would be known ${span(spacing - named)} before it closed); name the file with its timeframe`;
      }
    }
    this.#timeframeMs = tf;
    this.#inferred = named === undefined || tf !== named;
    for (const [openTime, open, high, low, close, volume] of held) out.push(this.#candle(openTime, open, high, low, close, volume, tf));
    this.#held = [];
  }

  #candle(openTime: number, open: number, high: number, low: number, close: number, volume: number, tf: number): CandleEvent {
    return { kind: 'candle', market: this.market, ts: openTime + tf, openTime, open, high, low, close, volume };
  }
}
