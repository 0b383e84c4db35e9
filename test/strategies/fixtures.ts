/** The strategies' marble specs' inputs: snapshots on a minute grid, feature batches and rankings. */
import type { FeatureSnapshot, Regime, WindowName, WindowStats } from '../../src/core/index.js';
import { WINDOWS } from '../../src/core/index.js';
import type { EdgeGateOptions, StrategyInput } from '../../strategies/index.js';

export const MIN = 60_000;
export const T0 = 1_700_000_000_000;

/** One market at `price` from minute `minute`: every window one trade at that price, `regime` on every horizon, `bid` as its book's touch. */
export function snapshot(market: string, minute: number, price: number, options: { bid?: number; regime?: Regime } = {}): FeatureSnapshot {
  const stats: WindowStats = { vwap: price, volume: 1, value: price, trades: 1 };
  const regime = options.regime ?? 'flat';
  return {
    market,
    ts: T0 + minute * MIN,
    price,
    windows: Object.fromEntries(WINDOWS.map((w) => [w, stats])) as Record<WindowName, WindowStats>,
    volatility: 0.01,
    position: 0.5,
    high: price,
    low: price,
    regime: { '1h': regime, '6h': regime, '12h': regime, '24h': regime },
    ...(options.bid !== undefined ? { touch: { bidPrice: options.bid, bidSize: 1, askPrice: options.bid + 1, askSize: 1 } } : {}),
  };
}

export const features = (minute: number, ...snapshots: FeatureSnapshot[]): StrategyInput => ({ kind: 'features', ts: T0 + minute * MIN, snapshots });

/** The markets in rank order, scores 10, 9, … */
export const ranking = (minute: number, ...markets: string[]): StrategyInput => ({ kind: 'ranking', ranking: { ts: T0 + minute * MIN, ranking: markets.map((market, i) => ({ market, score: 10 - i })) } });

/** The edge gate's options of the specs: 2 % barriers within the hour, no trailing stop and no fees unless told. */
export function gateOptions(overrides: Partial<EdgeGateOptions> = {}): EdgeGateOptions {
  return {
    takeProfit: 0.02,
    stopLoss: 0.02,
    maxHoldMs: 60 * MIN,
    trailActivate: 0,
    trailDistance: 0,
    feeRate: 0,
    buyTimeoutMs: 10 * MIN,
    edge: true,
    regimeHorizon: '24h',
    regimeMin: -1,
    riskPerTrade: 0,
    margin: 0.001,
    minTrades: 2,
    window: 10,
    kelly: 0.5,
    maxFraction: 0.2,
    ...overrides,
  };
}
