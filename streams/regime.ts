import type { FeatureSnapshot, Regime } from '../src/core/index.js';

/**
 * Bull/bear rule, per coin and horizon H (1h, 6h, 12h, 24h): the log distance of the price from its
 * H-window VWAP, measured in units of the volatility expected over H (hourly volatility × √(H / 1 h),
 * floored at `minMove`). Above +threshold it is `bull`, below −threshold `bear`, otherwise `flat`.
 */
export interface RegimeRule {
  /** Distance in expected-volatility units that separates a trend from noise. */
  readonly threshold: number;
  /** Smallest volatility used, so a dead-calm market does not flip on a one-tick move. */
  readonly minMove: number;
}

export const DEFAULT_REGIME_RULE: RegimeRule = { threshold: 0.5, minMove: 0.002 };

export function classifyRegime(price: number, vwap: number, hourlyVolatility: number, hours: number, rule: RegimeRule = DEFAULT_REGIME_RULE): Regime {
  return REGIME_NAMES[regimeCode(price, vwap, Math.max(rule.minMove, hourlyVolatility * Math.sqrt(hours)), rule.threshold)] as Regime;
}

/** classifyRegime's answers by code: 0 bull, 1 bear, 2 flat. */
export const REGIME_NAMES: readonly Regime[] = ['bull', 'bear', 'flat'];

/**
 * classifyRegime as a code (an index of REGIME_NAMES) from the expected move over the horizon
 * (max(minMove, hourly volatility × √hours)), for callers that classify every snapshot and want no strings.
 */
export function regimeCode(price: number, vwap: number, expected: number, threshold: number): number {
  if (!(price > 0) || !(vwap > 0)) return 2;
  const ratio = price / vwap;
  // 1 − 1/r ≤ ln r ≤ r − 1: a ratio this close to 1 is flat without the logarithm (a snapshot classifies
  // four horizons). The margin (a millionth of the bound, far above the rounding of ln, ÷, × and 1/r)
  // keeps the answer the logarithm's; a bound too small for it (or a negative threshold and expected move,
  // where the signs turn the comparisons around) takes the logarithm.
  const bound = threshold * expected * (1 - 1e-6);
  if (bound > 1e-6 && expected > 0 && ratio - 1 < bound && 1 - 1 / ratio > -bound) return 2;
  // The rest in a function of its own: this one stays small enough for the compiler to inline all four of
  // a snapshot's calls.
  return movedCode(ratio, expected, threshold, bound);
}

/** regimeCode of a ratio the flat test did not settle. */
function movedCode(ratio: number, expected: number, threshold: number, bound: number): number {
  if (bound > 1e-6 && expected > 0) {
    // The same bounds decide a move far past the threshold either way (most snapshots of a trending coin
    // at the 12h and 24h horizons): ln r ≥ 1 − 1/r above it, ln r ≤ r − 1 below it, with the same margin.
    const outer = threshold * expected * (1 + 1e-6);
    if (1 - 1 / ratio > outer) return 0;
    if (ratio - 1 < -outer) return 1;
  }
  const z = Math.log(ratio) / expected;
  if (z > threshold) return 0;
  if (z < -threshold) return 1;
  return 2;
}

export interface Breadth {
  /** Fraction of markets in `bull` minus fraction in `bear`, in [−1, 1]. */
  readonly breadth: number;
  readonly regime: Regime;
}

/**
 * Market-wide regime per horizon from the coins' regimes: breadth = share bull − share bear;
 * above +`threshold` the market is `bull`, below −`threshold` `bear`.
 */
export function marketBreadth(snapshots: readonly FeatureSnapshot[], threshold = 0.2): Record<string, Breadth> {
  const out: Record<string, Breadth> = {};
  if (snapshots.length === 0) return out;
  for (const label of Object.keys(snapshots[0]?.regime ?? {})) out[label] = horizonBreadth(snapshots, label, threshold);
  return out;
}

/** The market-wide regime of one horizon (`marketBreadth(snapshots)[label]`, without the others). */
export function horizonBreadth(snapshots: readonly FeatureSnapshot[], label: string, threshold = 0.2): Breadth {
  let bull = 0;
  let bear = 0;
  // The four horizons a snapshot has are read by name (a load the compiler specialises to the regime records'
  // one shape), the label compared once a call: `regime[label]` with the two labels the strategies ask for
  // ('6h', '24h') was a megamorphic keyed load, about 200 instructions a snapshot, and a label read from the
  // configuration is not the literal's string, so each compare in the loop was a call.
  const horizon = label === '1h' ? 0 : label === '6h' ? 1 : label === '12h' ? 2 : label === '24h' ? 3 : -1;
  for (let i = 0; i < snapshots.length; i++) {
    const regime = (snapshots[i] as FeatureSnapshot).regime;
    const r = horizon === 1 ? regime['6h'] : horizon === 3 ? regime['24h'] : horizon === 0 ? regime['1h'] : horizon === 2 ? regime['12h'] : regime[label];
    if (r === 'bull') bull++;
    else if (r === 'bear') bear++;
  }
  const breadth = (bull - bear) / snapshots.length;
  return { breadth, regime: breadth > threshold ? 'bull' : breadth < -threshold ? 'bear' : 'flat' };
}
