import { describe, expect, it } from 'vitest';
import { nextDeadline, type PositionContext } from '../../machines/index.js';
import { ExchangeOrder, INPUT, buy, cancelBuy, cancelSell, sell, startPosition, tick, type Position } from './position-fixtures.js';

/** Each scenario builds a position in a state with a deadline; a tick just before it changes nothing, at it the state moves. */
const scenarios: { name: string; build: (p: Position) => void }[] = [
  { name: 'buying, unacknowledged', build: (p) => p.send(buy(1_000, 100, 1)) },
  {
    name: 'buying, acknowledged (buy timeout)',
    build: (p) => {
      p.send(buy(1_000, 100, 1));
      p.send(ExchangeOrder.placed(p.effects).accepted(1_100));
    },
  },
  {
    name: 'cancellingBuy',
    build: (p) => {
      p.send(buy(1_000, 100, 1));
      p.send(ExchangeOrder.placed(p.effects).accepted(1_100), cancelBuy(2_000));
    },
  },
  {
    name: 'selling, unacknowledged',
    build: (p) => {
      p.send(buy(1_000, 100, 1));
      const o = ExchangeOrder.placed(p.effects);
      p.send(o.accepted(1_100), o.fill(1_200, 1), sell(3_000, 110));
    },
  },
  {
    name: 'cancellingSell',
    build: (p) => {
      p.send(buy(1_000, 100, 1));
      const o = ExchangeOrder.placed(p.effects);
      p.send(o.accepted(1_100), o.fill(1_200, 1), sell(3_000, 110));
      p.send(ExchangeOrder.placed(p.effects).accepted(3_100), cancelSell(4_000));
    },
  },
];

describe('nextDeadline mirrors the clock guards', () => {
  for (const s of scenarios) {
    it(`${s.name}: no tick before the deadline matters, the one at it does`, () => {
      const probe = startPosition();
      s.build(probe);
      const state = probe.state();
      const deadline = nextDeadline(state, probe.actor.getSnapshot().context as PositionContext);
      expect(deadline).toBeDefined();
      const before = startPosition();
      s.build(before);
      before.send(tick((deadline as number) - 1));
      expect(before.state()).toBe(state);
      const at = startPosition();
      s.build(at);
      at.send(tick(deadline as number));
      expect(at.state()).not.toBe(state);
    });
  }

  it('an unknown state asks again once its look-up is overdue, and only then: its own timeout', () => {
    for (const overdueState of ['unknownBuy', 'unknownSell'] as const) {
      const build = (p: Position): void => {
        p.send(buy(1_000, 100, 1));
        if (overdueState === 'unknownBuy') {
          p.send(tick(1_000 + INPUT.ackTimeoutMs)); // the buy's acknowledgement is overdue: looked up
          return;
        }
        const o = ExchangeOrder.placed(p.effects);
        p.send(o.accepted(1_100), o.fill(1_200, 1), sell(3_000, 110), tick(3_000 + INPUT.ackTimeoutMs));
      };
      const probe = startPosition();
      build(probe);
      expect(probe.state()).toBe(overdueState);
      const deadline = nextDeadline(overdueState, probe.actor.getSnapshot().context as PositionContext) as number;
      expect(deadline).toBeGreaterThan(0);
      const queries = probe.effects.filter((e) => e.kind === 'query').length;
      probe.send(tick(deadline - 1));
      expect(probe.effects.filter((e) => e.kind === 'query')).toHaveLength(queries);
      probe.send(tick(deadline));
      expect(probe.state()).toBe(overdueState);
      expect(probe.effects.filter((e) => e.kind === 'query')).toHaveLength(queries + 1);
      // The next one is a full timeout later.
      expect(nextDeadline(overdueState, probe.actor.getSnapshot().context as PositionContext)).toBe(deadline + INPUT.ackTimeoutMs);
    }
  });

  it('holding and idle have no deadline', () => {
    const p = startPosition();
    expect(nextDeadline('idle', p.actor.getSnapshot().context as PositionContext)).toBeUndefined();
    p.send(buy(1_000, 100, 1));
    const o = ExchangeOrder.placed(p.effects);
    p.send(o.accepted(1_100), o.fill(1_200, 1));
    expect(p.state()).toBe('holding');
    expect(nextDeadline('holding', p.actor.getSnapshot().context as PositionContext)).toBeUndefined();
    p.send(tick(10 ** 12));
    expect(p.state()).toBe('holding');
  });
});
