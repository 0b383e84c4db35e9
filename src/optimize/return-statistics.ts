/**
 * Statistics of a series of per-period returns (the optimizer's hourly grid): moments, Sharpe ratio,
 * compounded return, drawdown and Calmar ratio. One definition for every figure the search compares.
 */

export const HOURS_PER_YEAR = 24 * 365;

export interface Moments {
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1). */
  readonly sd: number;
  /** Skewness γ3 = m3 / m2^1.5 (population moments, as Bailey and López de Prado compute it). */
  readonly skew: number;
  /** Kurtosis γ4 = m4 / m2² (not excess: 3 for a normal distribution). */
  readonly kurtosis: number;
}

export function moments(returns: readonly number[]): Moments {
  const n = returns.length;
  if (n === 0) return { count: 0, mean: 0, sd: 0, skew: 0, kurtosis: 3 };
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // A flat series has no shape: call it normal rather than divide by zero.
  if (m2 === 0) return { count: n, mean, sd, skew: 0, kurtosis: 3 };
  return { count: n, mean, sd, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/** Per-period Sharpe ratio mean / sd (no risk-free rate); 0 for a series without variation. */
export function sharpeRatio(returns: readonly number[]): number {
  const m = moments(returns);
  return m.sd > 0 ? m.mean / m.sd : 0;
}

export interface CurveMetrics {
  /** Compounded return over the series. */
  readonly totalReturn: number;
  /** Per-period Sharpe × √(periods a year). */
  readonly sharpe: number;
  /** Deepest fall from a peak of the compounded curve (0.1 = −10 %). */
  readonly maxDrawdown: number;
  /** Annualised compounded return / max drawdown (the drawdown floored at 0.1 %, so a curve that never fell is not infinite). */
  readonly calmar: number;
  readonly periods: number;
}

/** Floor of the Calmar ratio's denominator. */
export const CALMAR_MIN_DRAWDOWN = 0.001;

/** Metrics of a per-period return series; `periodsPerYear` annualises (hourly: 8760). */
export function curveMetrics(returns: readonly number[], periodsPerYear = HOURS_PER_YEAR): CurveMetrics {
  let equity = 1;
  let peak = 1;
  let maxDrawdown = 0;
  for (const r of returns) {
    equity *= 1 + r;
    if (equity > peak) peak = equity;
    else maxDrawdown = Math.max(maxDrawdown, (peak - equity) / peak);
  }
  const totalReturn = equity - 1;
  const years = returns.length / periodsPerYear;
  const annual = years > 0 && equity > 0 ? equity ** (1 / years) - 1 : totalReturn;
  return {
    totalReturn,
    sharpe: sharpeRatio(returns) * Math.sqrt(periodsPerYear),
    maxDrawdown,
    calmar: annual / Math.max(maxDrawdown, CALMAR_MIN_DRAWDOWN),
    periods: returns.length,
  };
}
