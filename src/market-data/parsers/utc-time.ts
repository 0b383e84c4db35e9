/** A zone designator at the end of an ISO-8601 time: Z, ±hh:mm or ±hhmm. */
const ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO-8601 time as epoch ms, read as UTC when it names no zone (pandas writes naive times that way;
 * `Date.parse` would read them in the machine's own zone, so one file gave other times on another machine).
 */
export function parseUtcTime(text: string): number {
  // A zone written as a word (BigQuery's and many SQL exports' `2021-01-01 00:00:00 UTC`) is Z.
  const t = text.trim().replace(/\s*(?:UTC|GMT)$/i, 'Z').replace(' ', 'T');
  return Date.parse(t.includes('T') && !ZONE.test(t) ? `${t}Z` : t);
}
