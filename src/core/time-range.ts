/**
 * Time ranges for research commands: freqtrade's `--timerange 20210101-20210301` and `--from/--to`.
 *
 * A range is `[from, to)` in UTC epoch milliseconds; either end may be open (undefined).
 * - `from` is the first instant of the given day (or the exact instant given).
 * - `to` given as a day (`20210301`, `2021-03-01`) means the END of that day: the range includes all of
 *   March 1 and stops before 2021-03-02T00:00Z. `20210101-20210301` therefore covers Jan 1 to Mar 1 inclusive,
 *   which is how a person reads it; a train span `-20210228` and a test span `20210301-` do not overlap.
 * - `to` given as an instant (`2021-03-01T12:00Z`, epoch seconds or milliseconds) is exclusive as written.
 *
 * Accepted ends: `YYYYMMDD`, `YYYY-MM-DD`, ISO date-times (`2021-03-01T12:00`, a missing zone is UTC,
 * `Z` or `+09:00` respected), epoch seconds (10 digits, as freqtrade) and epoch milliseconds (13 digits).
 * Ranges: `A-B`, `A-`, `-B` with compact ends (freqtrade), or `A/B`, `A/`, `/B` (ISO 8601 intervals) with any ends.
 *
 * A backtest selects events by `rangeTime`: a candle by its open time, so `20210101-20210131` on daily
 * candles trades the candles of Jan 1 to Jan 31 (the last one known at its close, Feb 1 00:00).
 */

import { InputError } from './input-error.js';
import type { MarketEvent } from './market.js';

export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/** A malformed range or date: the message names the flag and the text, one line. */
export class TimeRangeError extends InputError {
  override name = 'TimeRangeError';
}

/** A range the data never reaches (a `--from` after the data's end, a `--to` before its start): said with where the data lies (`first` NaN: a reader that stopped at the range's end read nothing). */
export function noEventInRangeError(range: TimeRange, first: number, last: number): TimeRangeError {
  const end = (t: number | undefined, open: string): string => (t === undefined ? open : new Date(t).toISOString());
  const where = Number.isFinite(first) ? `the data starts ${new Date(first).toISOString()} and was read up to ${new Date(last).toISOString()}` : 'the data starts after it (nothing was read before the range\'s end)';
  return new TimeRangeError(`no event of the data falls in the time range (${end(range.from, 'start')} to ${end(range.to, 'end')}); ${where}`);
}

const DAY_MS = 86_400_000;
const COMPACT = /^(\d{8}|\d{10}|\d{13})?-(\d{8}|\d{10}|\d{13})?$/;
const DATE_ONLY = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const HAS_ZONE = /(?:Z|[+-]\d\d:?\d\d)$/i;

type End = 'from' | 'to';

function dayStart(y: number, m: number, d: number): number | undefined {
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  // Date.UTC rolls 2021-02-30 over into March: refuse it instead.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined;
  return t;
}

/** One end of a range, or NaN when the text is not a date we accept. */
function parseEnd(text: string, end: End): number {
  const date = DATE_ONLY.exec(text);
  if (date) {
    const start = dayStart(Number(date[1]), Number(date[2]), Number(date[3]));
    if (start === undefined) return NaN;
    return end === 'to' ? start + DAY_MS : start;
  }
  if (/^\d{10}$/.test(text)) return Number(text) * 1000;
  if (/^\d{13}$/.test(text)) return Number(text);
  // ISO date-times: a date, a `T`, a time; no zone means UTC (Date.parse would read it as local time).
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) {
    const t = Date.parse(HAS_ZONE.test(text) ? text : `${text}Z`);
    return Number.isFinite(t) ? t : NaN;
  }
  return NaN;
}

function check(range: TimeRange, label: string): TimeRange {
  if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
    throw new TimeRangeError(`${label}: the start ${iso(range.from)} is not before the end ${iso(range.to)}`);
  }
  return range;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function endOrThrow(text: string, end: End, label: string): number {
  const t = parseEnd(text, end);
  if (Number.isNaN(t)) throw new TimeRangeError(`${label}: "${text}" is not a date (YYYYMMDD, YYYY-MM-DD, an ISO date-time, or epoch seconds/ms)`);
  return t;
}

function range(from: number | undefined, to: number | undefined): TimeRange {
  if (from === undefined) return to === undefined ? {} : { to };
  return to === undefined ? { from } : { from, to };
}

/** `20210101-20210301`, `20210101-`, `-20210301`, or `2021-01-01/2021-03-01T12:00Z` → `[from, to)` in UTC ms. */
export function parseTimeRange(text: string, label = '--timerange'): TimeRange {
  const trimmed = text.trim();
  const usage = `${label}: "${text}" is not a range (20210101-20210301, 20210101-, -20210301, or 2021-01-01/2021-03-01)`;
  let fromText: string | undefined;
  let toText: string | undefined;
  const compact = COMPACT.exec(trimmed);
  if (compact) {
    fromText = compact[1];
    toText = compact[2];
  } else {
    const parts = trimmed.split('/');
    if (parts.length !== 2) throw new TimeRangeError(usage);
    fromText = parts[0] || undefined;
    toText = parts[1] || undefined;
  }
  if (fromText === undefined && toText === undefined) throw new TimeRangeError(`${usage}: give at least one end`);
  const from = fromText === undefined ? undefined : endOrThrow(fromText, 'from', label);
  const to = toText === undefined ? undefined : endOrThrow(toText, 'to', label);
  return check(range(from, to), label);
}

/** One `--from` or `--to` value (a day, an ISO date-time, epoch seconds or ms); a day as `--to` is its end. */
export function parseTimeEnd(text: string, end: End, label = `--${end}`): number {
  return endOrThrow(text.trim(), end, label);
}

export interface TimeRangeFlags {
  readonly timerange?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * `--timerange` and `--from/--to` together: each end may come from either, but not from both
 * (`--timerange 20210101-` with `--to 20210301` is fine; `--timerange 20210101-20210301 --to ...` is an error).
 */
export function timeRangeFromFlags(flags: TimeRangeFlags): TimeRange {
  const base = flags.timerange !== undefined ? parseTimeRange(flags.timerange) : {};
  let from = base.from;
  let to = base.to;
  if (flags.from !== undefined) {
    if (from !== undefined) throw new TimeRangeError('--from and the start of --timerange both set the start: give one');
    from = parseTimeEnd(flags.from, 'from');
  }
  if (flags.to !== undefined) {
    if (to !== undefined) throw new TimeRangeError('--to and the end of --timerange both set the end: give one');
    to = parseTimeEnd(flags.to, 'to');
  }
  const label = flags.timerange !== undefined ? '--timerange' : '--from/--to';
  return check(range(from, to), label);
}

/** Whether `ts` falls inside `[from, to)`. */
export function inTimeRange(range: TimeRange, ts: number): boolean {
  return (range.from === undefined || ts >= range.from) && (range.to === undefined || ts < range.to);
}

/**
 * The time a range selects an event by: a candle's open time (the span it covers starts there; it is
 * stamped at its close, `ts`, a whole timeframe later), any other event's own time.
 */
export function rangeTime(event: MarketEvent): number {
  return event.kind === 'candle' ? event.openTime : event.ts;
}
