import type { MarketRules } from '../core/index.js';
import { bought, held, netBuyValue, type PositionContext } from '../../machines/index.js';
import type { PositionView } from '../../strategies/index.js';

/**
 * What a strategy sees of a position: its state, holdings, average entry and resting order. Built by the
 * engine from the position actor's context (strategies see the view, never the machine).
 */
export function positionView(c: PositionContext, state: PositionView['state'], rules: MarketRules | undefined): PositionView {
  const order = c.sell ?? c.buy;
  const boughtAmount = bought(c);
  const buyValue = c.buyValueBefore + (c.buy ? netBuyValue(c.buy) : 0);
  return {
    positionId: c.positionId,
    market: c.market,
    state,
    amount: held(c),
    entryPrice: boughtAmount > 0 ? buyValue / boughtAmount : 0,
    entryTs: c.openedTs ?? c.lastTs,
    orderPrice: order?.price ?? 0,
    orderTs: order?.submittedTs ?? 0,
    tickSize: rules && order ? rules.tickSize(order.price) : 0,
  };
}
