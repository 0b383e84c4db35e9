import { FEATURE_COUNT } from '../feature-vector.js';
import { normalizeInto, type Normalizer } from '../normalizer.js';
import type { PositionGroup } from './actions.js';
import { SIGNAL_FEATURES } from './market-signal.js';

/** Inputs describing the market's position, after the market features. */
export const POSITION_FEATURES = 9;
export const OBSERVATION_SIZE = FEATURE_COUNT + SIGNAL_FEATURES + POSITION_FEATURES;
/** Where the position inputs start (the 'flat' flag). */
export const POSITION_OFFSET = FEATURE_COUNT + SIGNAL_FEATURES;
export const POSITION_FEATURE_NAMES = ['flat', 'buy_pending', 'holding', 'sell_pending', 'net_return_x10', 'held_days', 'order_age_6h', 'order_distance_pct', 'open_positions_share'] as const;

const HOUR = 3_600_000;
const clip = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : Number.isFinite(x) ? x : 0);

/** What the agent knows of its position in one market (the fields of a PositionView it uses). */
export interface PositionInputs {
  readonly group: PositionGroup;
  readonly amount: number;
  readonly entryPrice: number;
  readonly entryTs: number;
  readonly orderPrice: number;
  readonly orderTs: number;
}

export const NO_POSITION: PositionInputs = { group: 'flat', amount: 0, entryPrice: 0, entryTs: 0, orderPrice: 0, orderTs: 0 };

/**
 * The seed's state for one market: coin and market info (the ranker's scale-free features of the live
 * FeatureSnapshots, standardised), the ranker's calibrated probability and the expected value of a trade
 * after costs (`signal`, written by market-signal.ts's writeSignal), the change in value of the held coin since it was bought (net of
 * fees on both sides, at the price the agent would sell at), how long it is held, the resting order's
 * age and distance, and how many position slots are used. The same function serves the training
 * environment and the live strategy, so both see identical inputs.
 */
export function writeObservation(
  normalizer: Normalizer,
  features: Float32Array,
  featureOffset: number,
  signal: Float32Array,
  signalOffset: number,
  p: PositionInputs,
  price: number,
  bid: number,
  ts: number,
  feeRate: number,
  openShare: number,
  out: Float32Array,
  offset: number,
): void {
  normalizeInto(normalizer, features, featureOffset, out, offset);
  let k = offset + FEATURE_COUNT;
  for (let j = 0; j < SIGNAL_FEATURES; j++) out[k++] = signal[signalOffset + j] as number;
  const g = p.group;
  out[k++] = g === 'flat' ? 1 : 0;
  out[k++] = g === 'buying' || g === 'busy' ? 1 : 0;
  out[k++] = g === 'holding' ? 1 : 0;
  out[k++] = g === 'selling' ? 1 : 0;
  out[k++] = p.amount > 0 && p.entryPrice > 0 ? clip(((bid * (1 - feeRate)) / (p.entryPrice * (1 + feeRate)) - 1) * 10, -5, 5) : 0;
  out[k++] = g !== 'flat' && p.entryTs > 0 ? clip((ts - p.entryTs) / (24 * HOUR), 0, 2) : 0;
  out[k++] = p.orderTs > 0 && p.orderPrice > 0 ? clip((ts - p.orderTs) / (6 * HOUR), 0, 4) : 0;
  out[k++] = p.orderPrice > 0 && price > 0 ? clip(Math.log(p.orderPrice / price) * 100, -5, 5) : 0;
  out[k++] = clip(openShare, 0, 1);
}
