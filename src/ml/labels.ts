/** First-passage (triple-barrier) labels: which barrier the price touches first within the horizon. */

import { fiveDigitTick } from '../exchange/index.js';

export interface BarrierSpec {
  /** Net take-profit return (fees on both sides and slippage included, as the strategy measures it). */
  readonly target: number;
  /** Net stop-loss return, positive. */
  readonly stop: number;
  readonly horizonMs: number;
  readonly feeRate: number;
  readonly slippageTicks: number;
}

/** One market's closed candles in time order; `ts` is the close time (when the candle is known). */
export interface PriceSeries {
  readonly ts: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
}

/** +1 target first, −1 stop first, 0 neither within the horizon; `timeMs` from t to the first touch (the horizon for 0). */
export interface FirstPassage {
  readonly label: -1 | 0 | 1;
  readonly timeMs: number;
}


/**
 * Price levels of the two barriers for a buy at `price`: the entry pays `slippageTicks` ticks (the
 * inferred rules' tick, so the label's slippage is the one the simulated exchange charges), and both
 * barriers are net of the fee on each side, exactly like the triple-barrier strategy's exits
 * (net = bid·(1−f) / (entry·(1+f)) − 1).
 */
export function barriers(price: number, spec: BarrierSpec): { entry: number; up: number; down: number } {
  const entry = price + spec.slippageTicks * fiveDigitTick(price);
  const k = (entry * (1 + spec.feeRate)) / (1 - spec.feeRate);
  return { entry, up: k * (1 + spec.target), down: k * (1 - spec.stop) };
}

/** Index of the first candle closing after t (binary search). */
export function firstAfter(series: PriceSeries, t: number): number {
  let lo = 0;
  let hi = series.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((series.ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first passage for a buy at `price` at time t, using only candles closing in (t, t + H]. A candle
 * that crosses both barriers counts as the stop (its path inside the candle is unknown; assuming the
 * worse keeps the label honest). Undefined when the data ends before t + H without a touch: the outcome
 * is unknown, and calling it 0 would bias the end of every span.
 */
export function firstPassage(series: PriceSeries, t: number, price: number, spec: BarrierSpec, from = firstAfter(series, t)): FirstPassage | undefined {
  const { up, down } = barriers(price, spec);
  const end = t + spec.horizonMs;
  const n = series.ts.length;
  for (let j = from; j < n; j++) {
    const ts = series.ts[j] as number;
    if (ts > end) return { label: 0, timeMs: spec.horizonMs };
    if ((series.low[j] as number) <= down) return { label: -1, timeMs: ts - t };
    if ((series.high[j] as number) >= up) return { label: 1, timeMs: ts - t };
  }
  return n > 0 && (series.ts[n - 1] as number) >= end ? { label: 0, timeMs: spec.horizonMs } : undefined;
}
