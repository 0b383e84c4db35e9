import { TimeRangeError, timeRangeFromFlags, type TimeRange } from '../core/time-range.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from './args.js';

/** `--timerange` and `--from/--to` for every research command (see src/core/time-range.ts for the syntax). */
export const TIME_RANGE_FLAGS: FlagSpecs = {
  timerange: { type: 'string', valueName: 'YYYYMMDD-YYYYMMDD', description: "only this span (freqtrade's syntax, either end open: 20210101-, -20210301); the end day is included; a backtest takes a candle when it opens in the span (a daily candle of the end day is traded at its close, the next midnight)" },
  from: { type: 'string', valueName: 'date', description: 'start of the span (2021-01-01, 20210101, 2021-01-01T12:00Z or epoch s/ms; UTC)' },
  to: { type: 'string', valueName: 'date', description: 'end of the span: a day means through the end of that day; a date-time is exclusive' },
};

/** The command's time range from its flags; a bad value is a UsageError naming the flag. */
export function timeRangeArgs(args: ParsedArgs): TimeRange {
  try {
    return timeRangeFromFlags({ timerange: args.strings.get('timerange'), from: args.strings.get('from'), to: args.strings.get('to') });
  } catch (error) {
    if (error instanceof TimeRangeError) throw new UsageError(error.message);
    throw error;
  }
}

/** A time range the data does not cover (found while running) as a usage error: one line, no stack. */
export async function rangeErrorsAsUsage<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof TimeRangeError) throw new UsageError(error.message);
    throw error;
  }
}
