/** The aggregate windows of the seed: 1m … 1M. A window ending at t covers events with time in (t − W, t]. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const WINDOW_MS = {
  '1m': MINUTE_MS,
  '3m': 3 * MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '10m': 10 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '12h': 12 * HOUR_MS,
  '1d': DAY_MS,
  '1w': 7 * DAY_MS,
  /** One month is 30 days. */
  '1M': 30 * DAY_MS,
} as const;

export type WindowName = keyof typeof WINDOW_MS;
export const WINDOWS = Object.keys(WINDOW_MS) as readonly WindowName[];

/** Regime (bull/bear) horizons of the seed. */
export const REGIME_WINDOWS = ['1h', '6h', '12h', '1d'] as const;
export type RegimeWindowName = (typeof REGIME_WINDOWS)[number];
/** Labels used in output (`24h` rather than `1d`, as the seed says). */
export const REGIME_LABELS: Record<RegimeWindowName, string> = { '1h': '1h', '6h': '6h', '12h': '12h', '1d': '24h' };

/** Parse `5m`, `1h`, `250ms`, `30s`, `1d`, `1w`, `1M` to milliseconds; throws with the bad text. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}": expected a number and a unit (ms, s, m, h, d, w, M), e.g. 5m`);
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'M';
  const scale = { ms: 1, s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS, M: 30 * DAY_MS }[unit];
  return n * scale;
}
