const DAY_MS = 86_400_000;

/**
 * A start time at least `backMs` before now from which `spanMs` of event time stays inside one UTC day. The
 * bot's daily figures (the day's opening equity, the daily loss limit) reopen at each UTC midnight of the
 * events' times: a spec that feeds times from now, run near midnight, saw the day reopen mid-test (CI did).
 */
export function startInOneUtcDay(backMs: number, spanMs: number, now = Date.now()): number {
  const start = now - backMs;
  return Math.min(start, (Math.floor(start / DAY_MS) + 1) * DAY_MS - spanMs);
}
