import type { MarketEvent } from '../../core/index.js';

/** What one record turned into: events pushed, nothing useful (a header, a control line), or garbage. */
export type ParseOutcome = 'ok' | 'ignored' | 'malformed';

/**
 * Turns one record (a line, or one inner JSON array) into zero or more events pushed onto `out`.
 * Parsers keep per-file state (order books, the candle waiting for its timeframe) and are made per file.
 */
export interface RecordParser {
  parse(record: string, out: MarketEvent[]): ParseOutcome;
  /** Flush events held back until the end of the file. */
  end?(out: MarketEvent[]): void;
  /** Why the last `malformed` outcome was malformed, for the one log line per file. */
  lastError?: string;
  /** Something about the records read, none skipped (candles read with another timeframe than the name's): reported once, then cleared by the reader. */
  warning?: string;
  /** Sequence breaks seen so far (depth books), when the format has sequences. */
  readonly gaps?: number;
}

export { MICROSECONDS } from '../epoch-units.js';

/** Exact powers of ten (a plain decimal's mantissa divided by one rounds as `Number()` does). */
export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * The number in `text[start, end)`, or NaN. Plain decimals of up to 15 digits are parsed by hand
 * (3× faster than `Number()` on a slice): the digits form an exact integer and dividing by an exact
 * power of ten rounds correctly, so the result is bit-identical to `Number()`. Anything else
 * (exponents, signs, spaces, long mantissas) goes to `Number()`.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  if (start >= end) return NaN;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      if (fraction >= 0) fraction++;
    } else if (d === -2 && fraction < 0) fraction = 0;
    else return Number(text.slice(start, end));
  }
  if (digits === 0 || digits > 15) return Number(text.slice(start, end));
  const value = fraction > 0 ? mantissa / (POW10[fraction] as number) : mantissa;
  return negative ? -value : value;
}

/** A number from a whole field, or NaN (callers test with Number.isFinite / `!(x > 0)`). */
export function num(field: string | undefined): number {
  return field === undefined ? NaN : parseDecimal(field, 0, field.length);
}
