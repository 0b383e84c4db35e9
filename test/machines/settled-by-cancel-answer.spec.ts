import { describe, expect, it } from 'vitest';
import { settledByCancelAnswer, type PositionEvent } from '../../machines/index.js';
import { buy, cancelBuy, ExchangeOrder, startPosition, type Position } from './position-fixtures.js';

/** A position whose buy of 2 @ 100 was placed at t=1000, acknowledged, then asked to cancel at t=2000. */
function cancelling(): Position & { b1: ExchangeOrder } {
  const p = startPosition();
  p.send(buy(1_000, 100, 2));
  const b1 = ExchangeOrder.placed(p.effects);
  p.send(b1.accepted(1_100), cancelBuy(2_000));
  return { ...p, b1 };
}

/** What the engine counts ahead (settledByCancelAnswer) against what the actor does with the same event. */
function both(p: Position, event: PositionEvent) {
  const before = p.actor.getSnapshot();
  const ahead = settledByCancelAnswer(String(before.value), before.context, event);
  p.send(event);
  const after = p.actor.getSnapshot();
  return { ahead, after };
}

describe('settledByCancelAnswer (the engine counts a cancel answer that settles before the actor steps)', () => {
  it('is the context the machine settles with when the answer finds no fill', () => {
    const p = cancelling();
    const { ahead, after } = both(p, p.b1.cancelled(2_050));
    expect(after.status).toBe('done');
    expect(ahead).toEqual(after.context);
  });

  it('is undefined when the cancelled buy had a fill (the position holds it)', () => {
    const p = cancelling();
    p.b1.filled = 0.5;
    p.b1.cost = 50;
    const { ahead, after } = both(p, p.b1.cancelled(2_050));
    expect(String(after.value)).toBe('holding');
    expect(ahead).toBeUndefined();
  });

  it('is undefined for another event, another order or another state', () => {
    const p = cancelling();
    const other = new ExchangeOrder('p1-b9', 'buy', 100, 2);
    expect(both(p, other.cancelled(2_050)).ahead).toBeUndefined();
    expect(both(p, p.b1.rejected(2_060, 'unknown_order')).ahead).toBeUndefined();
    const q = startPosition();
    q.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(q.effects);
    expect(both(q, b1.cancelled(1_500)).ahead).toBeUndefined();
  });
});
