import { describe, expect, it } from 'vitest';
import { deflatedSharpe, expectedMaxSharpe, probabilisticSharpe } from '../../src/optimize/deflated-sharpe.js';

describe('deflated Sharpe ratio', () => {
  it("reproduces the paper's worked example (Bailey & López de Prado 2014, section 4)", () => {
    // 100 trials; the best has an annualised Sharpe of 2.5 over 5 years of daily returns (T = 1250),
    // skewness −3, kurtosis 10; the trials' annualised Sharpe ratios have variance 0.5. In daily terms:
    // SR = 2.5/√250 = 0.158114, V = 0.5/250 = 0.002.
    // By hand (quantiles from tables): Φ⁻¹(0.99) = 2.326348, Φ⁻¹(1 − 1/(100e)) = Φ⁻¹(0.996321) = 2.680210;
    // SR₀ = √0.002 · (0.422784·2.326348 + 0.577216·2.680210) = 0.044721 · 2.530633 = 0.113172 (1.789 a year);
    // z = (0.158114 − 0.113172)·√1249 / √(1 + 3·0.158114 + 9/4·0.025) = 1.588349 / 1.237206 = 1.283816;
    // DSR = Φ(1.283816) = 0.9004, the paper's figure.
    const result = deflatedSharpe({ sharpe: 2.5 / Math.sqrt(250), trials: 100, variance: 0.5 / 250, observations: 1250, skew: -3, kurtosis: 10 });
    expect(result.benchmark).toBeCloseTo(0.113172, 5);
    expect(result.benchmark * Math.sqrt(250)).toBeCloseTo(1.79, 2);
    expect(result.probability).toBeCloseTo(0.9004, 4);
  });

  it('is the plain probabilistic Sharpe ratio against zero for one trial', () => {
    expect(expectedMaxSharpe(1, 0.01)).toBe(0);
    // Normal returns, SR 0.1 over 101 periods: z = 0.1·10 / √(1 + 0.5·0.01) = 0.997509; Φ(z) = 0.840741.
    expect(deflatedSharpe({ sharpe: 0.1, trials: 1, variance: 0.01, observations: 101, skew: 0, kurtosis: 3 }).probability).toBeCloseTo(0.840741, 5);
    expect(probabilisticSharpe(0.1, 0, 101, 0, 3)).toBeCloseTo(0.840741, 5);
  });

  it('raises the bar with the number of trials and with their dispersion', () => {
    const bars = [2, 10, 100, 1000].map((n) => expectedMaxSharpe(n, 0.01));
    for (let i = 1; i < bars.length; i++) expect(bars[i]).toBeGreaterThan(bars[i - 1] as number);
    expect(expectedMaxSharpe(100, 0.04)).toBeCloseTo(2 * expectedMaxSharpe(100, 0.01), 12);
    expect(expectedMaxSharpe(100, 0)).toBe(0);
  });

  it('matches the expected maximum of N zero-Sharpe trials found by simulation', () => {
    // The max of N independent N(0, σ²) draws; a seeded generator, 4000 repetitions.
    let state = 12345;
    const uniform = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const n = 50;
    const sigma = 0.1;
    let total = 0;
    const reps = 4000;
    for (let r = 0; r < reps; r++) {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, sigma * gauss());
      total += max;
    }
    // The paper's approximation is within about 1 % of the exact expectation (2.2491σ for N = 50).
    expect(expectedMaxSharpe(n, sigma * sigma)).toBeCloseTo(total / reps, 2);
  });
});
