import type { MarketEvent, TakerSide, TradeEvent } from '../core/index.js';

/** A record that cannot be read: counted, reported once per file with its line number, and skipped. */
export class MalformedRecord extends Error {
  override name = 'MalformedRecord';
}

/** What parsing one record gave, besides the events it pushed. */
export const enum Parsed {
  Events = 0,
  /** A header, a connect line, or a frame type we do not use. */
  Ignored = 1,
}

/** Turns one record (a line, or one element of a JSON array) into market events. Stateful per file. */
export interface RecordParser {
  /** Pushes the record's events into `out`; throws MalformedRecord when the record is bad. */
  parse(record: string, out: MarketEvent[]): Parsed;
}

/** A finite number > 0 (prices), else MalformedRecord naming the field. */
export function positive(text: string | number | undefined, field: string): number {
  const n = typeof text === 'number' ? text : Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new MalformedRecord(`${field} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

/** A finite number ≥ 0 (amounts, volumes). */
export function nonNegative(text: string | number | undefined, field: string): number {
  const n = typeof text === 'number' ? text : Number(text);
  if (!(n >= 0) || !Number.isFinite(n)) throw new MalformedRecord(`${field} must be a number ≥ 0, got ${JSON.stringify(text)}`);
  return n;
}

/** An epoch-millisecond timestamp (plausible: 2000-01-01 … 2100-01-01). */
export function epochMs(value: number, field: string): number {
  if (!(value > 946_684_800_000 && value < 4_102_444_800_000)) throw new MalformedRecord(`${field} is not an epoch-ms time: ${value}`);
  return value;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedRecord('not valid JSON');
  }
}

/** A TradeEvent without undefined optional fields (keeps JSON output and equality checks clean). */
export function tradeEvent(market: string, ts: number, price: number, amount: number, side: TakerSide | undefined, id: number | undefined): TradeEvent {
  if (side !== undefined && id !== undefined) return { kind: 'trade', market, ts, price, amount, side, id };
  if (side !== undefined) return { kind: 'trade', market, ts, price, amount, side };
  if (id !== undefined) return { kind: 'trade', market, ts, price, amount, id };
  return { kind: 'trade', market, ts, price, amount };
}
