import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { tripleBarrier, type PositionView, type StrategyInput, type TripleBarrierOptions } from '../../strategies/index.js';
import { features, MIN, ranking, snapshot, T0 } from './fixtures.js';


const OPTIONS: TripleBarrierOptions = { takeProfit: 0.02, stopLoss: 0.01, maxHoldMs: 60 * MIN, buyTimeoutMs: 10 * MIN, chaseTicks: 5, feeRate: 0.0005, skipBearMarket: true, sellTimeoutMs: 5 * MIN };


function position(state: PositionView['state'], patch: Partial<PositionView> = {}): StrategyInput {
  return {
    kind: 'position',
    position: { positionId: 'p1', market: 'BTC/KRW', state, amount: 1, entryPrice: 100, entryTs: T0, orderPrice: 100, orderTs: T0, tickSize: 1, ...patch },
  };
}

function run(marbles: string, values: Record<string, StrategyInput>, expected: string, decisions: Record<string, unknown>, options = OPTIONS): void {
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    expectObservable(cold(marbles, values).pipe(tripleBarrier(options))).toBe(expected, decisions);
  });
}

describe('tripleBarrier (marbles)', () => {
  it('buys every ranked coin it does not hold, at the best bid (or the last price) with the score', () => {
    run('a-b-c-|', { a: features(1, snapshot('BTC/KRW', 1, 100, { bid: 99 }), snapshot('ETH/KRW', 1, 50)), b: position('buying', { market: 'ETH/KRW' }), c: ranking(1, 'BTC/KRW', 'ETH/KRW') }, '----x-|', {
      x: { kind: 'BUY', market: 'BTC/KRW', ts: T0 + MIN, reason: 'ranked', score: 10, price: 99 },
    });
  });

  it("re-enters a coin still ranked when its position ends, without a ranking change (entries follow the ranking's state)", () => {
    const f = (minute: number): StrategyInput => features(minute, snapshot('BTC/KRW', minute, 100));
    const buy = (minute: number) => ({ kind: 'BUY', market: 'BTC/KRW', ts: T0 + minute * MIN, reason: 'ranked', score: 10, price: 100 });
    // Ranked at 1: bought; the position fills, is sold and settles after 3; the ranking never changes
    // again: offered at the next batch.
    run('a-b-c-d-e-f-|', { a: f(1), b: ranking(1, 'BTC/KRW'), c: position('holding'), d: f(3), e: position('settled'), f: f(4) }, '--x-------y-|', { x: buy(1), y: buy(4) });
    // Held all along: nothing more.
    run('a-b-c-d-|', { a: f(1), b: ranking(1, 'BTC/KRW'), c: position('holding'), d: f(20) }, '--x-----|', { x: buy(1) });
  });

  it('offers the ranked coins again every buyTimeout and when a bear market ends (a halt lifted, a buy sized to nothing)', () => {
    const calm = (minute: number): StrategyInput => features(minute, snapshot('BTC/KRW', minute, 100));
    const bear = (minute: number): StrategyInput => features(minute, snapshot('BTC/KRW', minute, 100, { regime: 'bear' }));
    const buy = (minute: number) => ({ kind: 'BUY', market: 'BTC/KRW', ts: T0 + minute * MIN, reason: 'ranked', score: 10, price: 100 });
    run('a-b-c-d-|', { a: calm(1), b: ranking(1, 'BTC/KRW'), c: calm(5), d: calm(11) }, '--x---y-|', { x: buy(1), y: buy(11) });
    run('a-b-c-|', { a: bear(1), b: ranking(1, 'BTC/KRW'), c: calm(2) }, '----y-|', { y: buy(2) });
  });

  it('does not buy in a bear market when told so, and does without the switch', () => {
    const bear = features(1, snapshot('BTC/KRW', 1, 100, { regime: 'bear' }), snapshot('ETH/KRW', 1, 50, { regime: 'bear' }));
    run('a-b-|', { a: bear, b: ranking(1, 'BTC/KRW') }, '----|', {});
    run('a-b-|', { a: bear, b: ranking(1, 'BTC/KRW') }, '--x-|', { x: { kind: 'BUY', market: 'BTC/KRW', ts: T0 + MIN, reason: 'ranked', score: 10, price: 100 } }, { ...OPTIONS, skipBearMarket: false });
  });

  it('takes profit net of fees once, at the bid, and not again while the state is unchanged', () => {
    // 102 × (1 − 0.0005) / (100 × 1.0005) − 1 = 1.90 %: under 2 %. 103 clears it.
    run('a-b-c-d-|', { a: position('holding'), b: features(2, snapshot('BTC/KRW', 2, 102.5, { bid: 102 })), c: features(3, snapshot('BTC/KRW', 3, 103.5, { bid: 103 })), d: features(4, snapshot('BTC/KRW', 4, 104)) }, '----x---|', {
      x: { kind: 'SELL', market: 'BTC/KRW', ts: T0 + 3 * MIN, reason: 'take-profit', price: 103 },
    });
  });

  it('stops out and sells at the time limit', () => {
    run('a-b-|', { a: position('holding'), b: features(2, snapshot('BTC/KRW', 2, 98.9)) }, '--x-|', { x: { kind: 'SELL', market: 'BTC/KRW', ts: T0 + 2 * MIN, reason: 'stop-loss', price: 98.9 } });
    run('a-b-c-|', { a: position('holding'), b: features(59, snapshot('BTC/KRW', 59, 100)), c: features(60, snapshot('BTC/KRW', 60, 100)) }, '----x-|', {
      x: { kind: 'SELL', market: 'BTC/KRW', ts: T0 + 60 * MIN, reason: 'time-limit', price: 100 },
    });
  });

  it('cancels a buy that ran away by more than chaseTicks or left the ranking; the buy timeout is the position machine\'s', () => {
    const buying = position('buying', { orderPrice: 100, orderTs: T0 });
    // Resting past buyTimeoutMs: nothing from the strategy (the machine's timer cancels it).
    run('a-b-c-|', { a: ranking(0, 'BTC/KRW'), b: buying, c: features(10, snapshot('BTC/KRW', 10, 100)) }, '------|', {});
    run('a-b-c-d-|', { a: ranking(0, 'BTC/KRW'), b: buying, c: features(1, snapshot('BTC/KRW', 1, 105)), d: features(2, snapshot('BTC/KRW', 2, 106)) }, '------x-|', {
      x: { kind: 'CANCEL_BUY', market: 'BTC/KRW', ts: T0 + 2 * MIN, reason: 'price-ran-away' },
    });
    // ETH is ranked before any of its features arrived: no price, no buy.
    run('a-b-c-d-|', { a: ranking(0, 'BTC/KRW'), b: buying, c: ranking(1, 'ETH/KRW'), d: features(1, snapshot('BTC/KRW', 1, 100), snapshot('ETH/KRW', 1, 5)) }, '------x-|', {
      x: { kind: 'CANCEL_BUY', market: 'BTC/KRW', ts: T0 + MIN, reason: 'left-ranking' },
    });
  });

  it('re-prices a stale sell: cancel, then sell again at the new bid once back in holding', () => {
    run('a-b-c-d-|', {
      a: position('selling', { orderPrice: 103, orderTs: T0 }),
      b: features(5, snapshot('BTC/KRW', 5, 101)),
      c: position('holding'),
      d: features(6, snapshot('BTC/KRW', 6, 97)),
    }, '--x---y-|', {
      x: { kind: 'CANCEL_SELL', market: 'BTC/KRW', ts: T0 + 5 * MIN, reason: 'reprice-sell' },
      y: { kind: 'SELL', market: 'BTC/KRW', ts: T0 + 6 * MIN, reason: 'stop-loss', price: 97 },
    });
  });

  it('forgets a settled position and completes with its source', () => {
    run('a-b-c-|', { a: position('holding'), b: position('settled'), c: features(2, snapshot('BTC/KRW', 2, 50)) }, '------|', {});
  });
});
