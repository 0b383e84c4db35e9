import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { EventClock } from '../../src/core/clock.js';
import { cancelBuyAhead, clockIn, settledByCancelAnswer, type PositionEvent } from '../../machines/index.js';
import { buy, cancelBuy, ExchangeOrder, INPUT, play, recordingMachine, type RecordedEffect, type Step } from './position-fixtures.js';

/** A position with the engine's clockIn (timers from the clock's time), as the engine runs it. */
function enginePosition() {
  const effects: RecordedEffect[] = [];
  const clock = new EventClock(0);
  const actor = createActor(recordingMachine(effects).provide({ actions: { clockIn: clockIn(clock) } }), { input: INPUT, clock }).start();
  return { actor, clock, effects, send: (...steps: Step[]) => play(actor, clock, steps) };
}

/** What the engine sends and counts ahead (cancelBuyAhead) against what the actor does with the same event. */
function both(p: ReturnType<typeof enginePosition>, event: PositionEvent) {
  p.clock.advanceTo(event.ts);
  const before = p.actor.getSnapshot();
  const ahead = cancelBuyAhead(String(before.value), before.context, event, p.clock.now());
  const sent = p.effects.length;
  p.actor.send(event);
  return { ahead, sent: p.effects.slice(sent), after: p.actor.getSnapshot() };
}

describe('cancelBuyAhead (the engine sends a CANCEL_BUY’s cancel before its position steps)', () => {
  it('is the cancel a buying position sends and the context it reaches', () => {
    const p = enginePosition();
    p.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(p.effects);
    p.send(b1.accepted(1_100));
    const { ahead, sent, after } = both(p, cancelBuy(2_000));
    expect(String(after.value)).toBe('cancellingBuy');
    expect(ahead?.context).toEqual(after.context);
    expect(sent).toEqual([{ kind: 'cancel', positionId: ahead?.cancel.positionId, market: ahead?.cancel.market, clientId: ahead?.cancel.slot.clientId, side: 'buy', price: 100, amount: 2 }]);
    // The answer that settles it is counted from that context as from the actor's.
    expect(settledByCancelAnswer('cancellingBuy', ahead!.context, b1.cancelled(2_050))).toEqual(settledByCancelAnswer(String(after.value), after.context, b1.cancelled(2_050)));
  });

  it('is the same for a buy not yet acknowledged', () => {
    const p = enginePosition();
    p.send(buy(1_000, 100, 2));
    const { ahead, after } = both(p, cancelBuy(1_000));
    expect(ahead?.context).toEqual(after.context);
  });

  it('is undefined for another state or event', () => {
    const p = enginePosition();
    expect(both(p, cancelBuy(500)).ahead).toBeUndefined();
    p.send(buy(1_000, 100, 2));
    expect(both(p, { type: 'decision.cancelSell', ts: 1_500 }).ahead).toBeUndefined();
    p.send(cancelBuy(2_000));
    expect(both(p, cancelBuy(2_500)).ahead).toBeUndefined();
  });
});
