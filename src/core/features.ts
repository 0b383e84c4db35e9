import type { MarketSymbol } from './market.js';
import type { WindowName } from './windows.js';

/** Sums over one window. `vwap` is Σ price×volume / Σ volume (NaN-free: the last price when volume is 0). */
export interface WindowStats {
  readonly vwap: number;
  readonly volume: number;
  readonly value: number;
  readonly trades: number;
}

export type Regime = 'bull' | 'bear' | 'flat';

/** Best bid/ask at the touch, when book data exists. */
export interface Touch {
  readonly bidPrice: number;
  readonly bidSize: number;
  readonly askPrice: number;
  readonly askSize: number;
}

/** Everything the engine knows about one market at one event time. */
export interface FeatureSnapshot {
  readonly market: MarketSymbol;
  readonly ts: number;
  /** Last traded price. */
  readonly price: number;
  readonly windows: Readonly<Record<WindowName, WindowStats>>;
  readonly volatility: number;
  readonly position: number;
  readonly high: number;
  readonly low: number;
  /** Keys are `1h`, `6h`, `12h`, `24h`. */
  readonly regime: Readonly<Record<string, Regime>>;
  readonly touch?: Touch;
}

export interface RankEntry {
  readonly market: MarketSymbol;
  readonly score: number;
}

export interface Ranking {
  readonly ts: number;
  readonly ranking: readonly RankEntry[];
}
