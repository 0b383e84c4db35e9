/**
 * The unit of an epoch time told by its size: each threshold is 1973-03-03 in the next smaller unit, so any
 * time after it in that unit is at least the threshold. Shared by the parsers and the capture lines' stamps.
 */

/** 1973 in seconds (1e8): a time below it is no time at all. */
export const SECONDS = 1e8;
/** 1973 in ms (1e11): a time below it is in seconds (or no time at all). */
export const MILLISECONDS = 1e11;
/** 5138 in ms (1e14): a time at or above it is in microseconds (Binance's public klines and spot trades since 2025). */
export const MICROSECONDS = 1e14;
/** 1973 in ns (1e17): a time at or above it is in nanoseconds (pandas' int64 datetimes, hftbacktest's stamps). */
export const NANOSECONDS = 1e17;

/** An epoch time in any of the four units, in ms. */
export function epochMs(time: number): number {
  return time >= NANOSECONDS ? time / 1e6 : time >= MICROSECONDS ? time / 1e3 : time >= MILLISECONDS ? time : time * 1000;
}
