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
}

/** A finite number from a field, or NaN (callers test with Number.isFinite / `!(x > 0)`). */
export function num(field: string | undefined): number {
  return field === undefined || field.length === 0 ? NaN : Number(field);
}
