import { describe, expect, it } from 'vitest';
import { buyOrderAhead, type PositionEvent } from '../../machines/index.js';
import { buy, ExchangeOrder, INPUT, startPosition, type Position } from './position-fixtures.js';

/** What the engine places ahead (buyOrderAhead) against what the actor places with the same event. */
function both(p: Position, event: PositionEvent) {
  const before = p.actor.getSnapshot();
  const ahead = buyOrderAhead(String(before.value), before.context, event);
  const placed = p.effects.length;
  p.send(event);
  return { ahead, placed: p.effects.slice(placed).filter((e) => e.kind === 'place') };
}

describe('buyOrderAhead (the engine places a batch’s buys before their positions step)', () => {
  it('is the order an idle position places on its decision.buy', () => {
    const p = startPosition();
    const { ahead, placed } = both(p, buy(1_000, 100, 2));
    expect(placed).toHaveLength(1);
    expect(ahead && { kind: 'place', positionId: ahead.positionId, market: ahead.market, clientId: ahead.slot.clientId, side: ahead.slot.side, price: ahead.slot.price, amount: ahead.slot.amount }).toEqual(placed[0]);
    expect(ahead?.slot).toEqual(p.actor.getSnapshot().context.buy);
  });

  it('takes the market of a spare (a position spawned without one)', () => {
    const p = startPosition({ ...INPUT, market: '' });
    const { ahead, placed } = both(p, { type: 'decision.buy', ts: 1_000, price: 100, amount: 2, market: 'ETH/KRW' });
    expect(ahead?.market).toBe('ETH/KRW');
    expect(placed[0]?.market).toBe('ETH/KRW');
    expect(ahead?.slot).toEqual(p.actor.getSnapshot().context.buy);
  });

  it('is undefined for a buy the guard refuses, another event or another state', () => {
    const p = startPosition();
    expect(both(p, buy(1_000, 0, 2))).toEqual({ ahead: undefined, placed: [] });
    expect(both(p, buy(1_000, 100, 0))).toEqual({ ahead: undefined, placed: [] });
    expect(both(p, { type: 'decision.cancelBuy', ts: 1_000 }).ahead).toBeUndefined();
    p.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(p.effects);
    p.send(b1.accepted(1_100));
    expect(both(p, buy(2_000, 100, 2))).toEqual({ ahead: undefined, placed: [] });
  });
});
