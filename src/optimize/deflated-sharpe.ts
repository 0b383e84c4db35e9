/**
 * The deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for
 * Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 40(5), 2014): the
 * probability that the true Sharpe ratio of the best of N trials is above zero, once the best of N
 * Sharpe ratios expected from luck alone is taken as the bar. All Sharpe ratios are per period (not
 * annualised), measured over the same T periods.
 */
import { normalCdf, normalQuantile } from './normal.js';

/** The Euler–Mascheroni constant γ. */
export const EULER_GAMMA = 0.5772156649015329;

/**
 * E[max of N Sharpe ratios] when every trial's true Sharpe is zero and their estimates vary with
 * `variance` across trials: √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))). One trial: 0.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1 || !(variance > 0)) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
}

/**
 * The probabilistic Sharpe ratio PSR(SR*) = Φ((SR − SR*)·√(T − 1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²)):
 * the probability that the true Sharpe ratio exceeds `benchmark`, given T observations whose skewness
 * is γ3 and kurtosis γ4 (3 for normal returns).
 */
export function probabilisticSharpe(sharpe: number, benchmark: number, observations: number, skew: number, kurtosis: number): number {
  if (observations < 2) return NaN;
  const spread = 1 - skew * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  // Extreme skew with a large Sharpe can make the variance estimate non-positive: no answer then.
  if (!(spread > 0)) return NaN;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(observations - 1)) / Math.sqrt(spread));
}

export interface DeflatedSharpeInput {
  /** The selected (best) trial's per-period Sharpe ratio. */
  readonly sharpe: number;
  /** Number of trials the selection was made from. */
  readonly trials: number;
  /** Variance of the per-period Sharpe ratios across the trials. */
  readonly variance: number;
  /** Number of return observations T behind each Sharpe ratio. */
  readonly observations: number;
  /** Skewness of the selected trial's returns. */
  readonly skew: number;
  /** Kurtosis (not excess) of the selected trial's returns. */
  readonly kurtosis: number;
}

export interface DeflatedSharpe {
  /** SR₀: the best Sharpe ratio expected from N trials of zero true Sharpe. */
  readonly benchmark: number;
  /** DSR = PSR(SR₀): the probability the selected strategy's true Sharpe ratio is positive after the selection. */
  readonly probability: number;
}

export function deflatedSharpe(input: DeflatedSharpeInput): DeflatedSharpe {
  const benchmark = expectedMaxSharpe(input.trials, input.variance);
  return { benchmark, probability: probabilisticSharpe(input.sharpe, benchmark, input.observations, input.skew, input.kurtosis) };
}
