import { Random } from '../core/random.js';

const DAY_MS = 86_400_000;

/** A confidence interval for the mean of a paired difference (a − b), from a block bootstrap. */
export interface PairedInterval {
  /** Paired observations (days) the interval rests on. */
  readonly n: number;
  /** Observed mean of a − b. */
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly level: number;
  /** Share of resampled means ≤ 0: a one-sided bootstrap p-value for "a beats b". */
  readonly pNotBetter: number;
  readonly blockLength: number;
  readonly resamples: number;
  readonly seed: number;
  /** "beats" when the whole interval is above 0, "loses" when below, otherwise "no difference shown". */
  readonly verdict: 'beats' | 'loses' | 'no difference shown';
}

export interface BootstrapOptions {
  readonly seed: number;
  readonly resamples?: number;
  readonly level?: number;
  /** Consecutive observations per block; default ⌈n^(1/3)⌉ (serially correlated days stay together). */
  readonly blockLength?: number;
}

/**
 * Paired moving-block bootstrap of the mean difference between two series observed on the same days
 * (model vs a baseline, agent vs a policy): blocks of consecutive differences are drawn with replacement
 * (circularly, so every day is equally likely to be drawn) until n values are collected; the percentile
 * interval of the resampled means is reported. Pairing removes what both share (the market's day), and
 * blocks keep the serial correlation of neighbouring days that an i.i.d. bootstrap would ignore.
 */
export function pairedBlockBootstrap(a: readonly number[], b: readonly number[], options: BootstrapOptions): PairedInterval {
  if (a.length !== b.length) throw new Error(`pairedBlockBootstrap: the series must be paired (${a.length} vs ${b.length} observations)`);
  const d = a.map((x, i) => x - (b[i] as number));
  const n = d.length;
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 2000;
  const blockLength = Math.max(1, Math.min(n, options.blockLength ?? Math.ceil(Math.cbrt(n))));
  const mean = n > 0 ? d.reduce((s, x) => s + x, 0) / n : Number.NaN;
  if (n < 2) return { n, mean, low: Number.NaN, high: Number.NaN, level, pNotBetter: Number.NaN, blockLength, resamples: 0, seed: options.seed, verdict: 'no difference shown' };
  const random = new Random(options.seed);
  const means = new Float64Array(resamples);
  let notBetter = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    let taken = 0;
    while (taken < n) {
      const start = random.int(n);
      for (let k = 0; k < blockLength && taken < n; k++, taken++) sum += d[(start + k) % n] as number;
    }
    const m = sum / n;
    means[r] = m;
    if (m <= 0) notBetter++;
  }
  means.sort();
  const q = (p: number): number => means[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))] as number;
  const low = q((1 - level) / 2);
  const high = q(1 - (1 - level) / 2);
  return { n, mean, low, high, level, pNotBetter: notBetter / resamples, blockLength, resamples, seed: options.seed, verdict: low > 0 ? 'beats' : high < 0 ? 'loses' : 'no difference shown' };
}

/** UTC day number of an event time. */
export const utcDay = (ts: number): number => Math.floor(ts / DAY_MS);

/**
 * Per-UTC-day mean of several aligned value series observed at the same times (`ts` ascending or not):
 * the daily unit the bootstrap pairs on. Days are returned in order; a day holds every series' mean
 * over the same observations, so the series stay paired.
 */
export function dailyMeans(ts: ArrayLike<number>, series: readonly ArrayLike<number>[]): { days: number[]; means: number[][] } {
  const sums = new Map<number, { count: number; sums: Float64Array }>();
  for (let i = 0; i < ts.length; i++) {
    const day = utcDay(ts[i] as number);
    let cell = sums.get(day);
    if (!cell) sums.set(day, (cell = { count: 0, sums: new Float64Array(series.length) }));
    let ok = true;
    for (let s = 0; s < series.length; s++) if (!Number.isFinite((series[s] as ArrayLike<number>)[i] as number)) ok = false;
    if (!ok) continue;
    cell.count++;
    for (let s = 0; s < series.length; s++) cell.sums[s] = (cell.sums[s] as number) + ((series[s] as ArrayLike<number>)[i] as number);
  }
  const days = [...sums.keys()].filter((d) => (sums.get(d) as { count: number }).count > 0).sort((x, y) => x - y);
  return { days, means: series.map((_, s) => days.map((d) => { const c = sums.get(d) as { count: number; sums: Float64Array }; return (c.sums[s] as number) / c.count; })) };
}

/**
 * Daily returns of an equity curve: the last equity of each UTC day over the previous day's last (the
 * first day against `initial`). Days on which a curve reports nothing carry its last value, so two
 * curves over the same span give series of the same length when passed the same `days`.
 */
export function dailyReturns(equity: readonly { ts: number; equity: number }[], initial: number, days: readonly number[]): number[] {
  const closeOf = new Map<number, number>();
  for (const p of equity) closeOf.set(utcDay(p.ts), p.equity);
  const out: number[] = [];
  let prev = initial;
  for (const day of days) {
    const close = closeOf.get(day) ?? prev;
    out.push(prev > 0 ? close / prev - 1 : 0);
    prev = close;
  }
  return out;
}

/** Every UTC day from the first to the last point of the curves (inclusive). */
export function spanDays(from: number, toExclusive: number): number[] {
  const out: number[] = [];
  for (let d = utcDay(from); d <= utcDay(toExclusive - 1); d++) out.push(d);
  return out;
}
