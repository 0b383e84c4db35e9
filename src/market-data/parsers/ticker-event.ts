import type { MarketSymbol, TickerEvent } from '../../core/index.js';

/**
 * A TickerEvent with the 24h totals left out when not finite, from one literal per set of fields: every
 * ticker of a shape has one hidden class, whichever parser (or the warm-up, src/engine/warm-up.ts) made
 * it, so code compiled for one source's tickers runs on another's.
 */
export function ticker(market: MarketSymbol, ts: number, price: number, volume24h: number, value24h: number): TickerEvent {
  const volume = Number.isFinite(volume24h);
  const value = Number.isFinite(value24h);
  if (volume && value) return { kind: 'ticker', market, ts, price, volume24h, value24h };
  if (volume) return { kind: 'ticker', market, ts, price, volume24h };
  if (value) return { kind: 'ticker', market, ts, price, value24h };
  return { kind: 'ticker', market, ts, price };
}
