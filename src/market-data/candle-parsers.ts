import type { MarketEvent } from '../core/index.js';
import { epochMs, MalformedRecord, nonNegative, Parsed, parseJson, positive, type RecordParser } from './record-parser.js';

/**
 * OHLCV candles: CSV with the header `timestamp,open,high,low,close,volume` (open time in ms) or
 * freqtrade's JSON `[[ts,o,h,l,c,v],…]`. A candle becomes one CandleEvent at its close time (open time
 * + timeframe). The timeframe comes from the file name or, failing that, from the spacing of the first
 * rows (the smallest positive step among the first 16).
 */
export class CandleParser implements RecordParser {
  readonly #market: string;
  #timeframeMs: number | undefined;
  /** Rows seen before the timeframe is known. */
  readonly #early: [number, number, number, number, number, number][] = [];
  readonly #json: boolean;
  #columns: number[] | undefined;

  constructor(market: string, timeframeMs: number | undefined, json: boolean) {
    this.#market = market;
    this.#timeframeMs = timeframeMs;
    this.#json = json;
  }

  parse(record: string, out: MarketEvent[]): Parsed {
    let row: [number, number, number, number, number, number];
    if (this.#json) {
      const values = parseJson(record);
      if (!Array.isArray(values) || values.length < 6) throw new MalformedRecord('expected [ts, open, high, low, close, volume]');
      row = [Number(values[0]), Number(values[1]), Number(values[2]), Number(values[3]), Number(values[4]), Number(values[5])];
    } else {
      const cells = record.split(',');
      if (this.#columns === undefined) {
        const header = cells.map((c) => c.trim().toLowerCase());
        const names = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
        const alt: Record<string, string[]> = { timestamp: ['timestamp', 'date', 'time', 'open_time'] };
        this.#columns = names.map((n) => header.findIndex((h) => (alt[n] ?? [n]).includes(h)));
        if (this.#columns.some((i) => i < 0)) throw new MalformedRecord(`candle header must name timestamp,open,high,low,close,volume; got "${record}"`);
        return Parsed.Ignored;
      }
      const c = this.#columns;
      if (cells.length < 6) throw new MalformedRecord(`expected 6 columns, got ${cells.length}`);
      const rawTs = cells[c[0] as number] as string;
      const ts = /^\d+$/.test(rawTs) ? Number(rawTs) : Date.parse(rawTs);
      row = [ts, Number(cells[c[1] as number]), Number(cells[c[2] as number]), Number(cells[c[3] as number]), Number(cells[c[4] as number]), Number(cells[c[5] as number])];
    }
    const [ts, open, high, low, close, volume] = row;
    epochMs(ts, 'timestamp');
    positive(open, 'open');
    positive(close, 'close');
    nonNegative(volume, 'volume');
    if (!(positive(high, 'high') >= Math.max(open, close) && positive(low, 'low') <= Math.min(open, close))) {
      throw new MalformedRecord(`high/low do not bracket open/close: ${row.join(',')}`);
    }
    if (this.#timeframeMs === undefined) {
      this.#early.push(row);
      if (this.#early.length < 16) return Parsed.Ignored;
      this.#resolveTimeframe();
      for (const r of this.#early) this.#emit(r, out);
      this.#early.length = 0;
      return Parsed.Events;
    }
    this.#emit(row, out);
    return Parsed.Events;
  }

  /** Emits rows held back while the timeframe was unknown (end of a short file). */
  flush(out: MarketEvent[]): void {
    if (this.#early.length === 0) return;
    this.#resolveTimeframe();
    for (const r of this.#early) this.#emit(r, out);
    this.#early.length = 0;
  }

  #resolveTimeframe(): void {
    let step = Infinity;
    for (let i = 1; i < this.#early.length; i++) {
      const d = (this.#early[i] as number[])[0]! - (this.#early[i - 1] as number[])[0]!;
      if (d > 0 && d < step) step = d;
    }
    if (step === Infinity) throw new MalformedRecord('cannot infer the candle timeframe: name the file like BTC_USDT-5m.csv or give --timeframe');
    this.#timeframeMs = step;
  }

  #emit(row: readonly number[], out: MarketEvent[]): void {
    const [openTime, open, high, low, close, volume] = row as [number, number, number, number, number, number];
    out.push({ kind: 'candle', market: this.#market, ts: openTime + (this.#timeframeMs as number), openTime, open, high, low, close, volume });
  }
}
