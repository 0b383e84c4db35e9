import type { MarketSymbol, TakerSide, TradeEvent } from '../../core/index.js';

/** A TradeEvent with optional fields left out rather than undefined, so events compare equal across formats. */
export function trade(market: MarketSymbol, ts: number, price: number, amount: number, taker: TakerSide | undefined, id: number | undefined): TradeEvent {
  if (taker !== undefined && id !== undefined) return { kind: 'trade', market, ts, price, amount, side: taker, id };
  if (taker !== undefined) return { kind: 'trade', market, ts, price, amount, side: taker };
  if (id !== undefined) return { kind: 'trade', market, ts, price, amount, id };
  return { kind: 'trade', market, ts, price, amount };
}
