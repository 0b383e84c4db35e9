import { from, lastValueFrom, Observable, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/index.js';
import { Random } from '../../src/core/random.js';
import { BidPeaks, edgeEstimate, edgeGate, exitReason, tripleBarrier, type PositionView, type Strategy, type StrategyInput } from '../../strategies/index.js';
import { features, gateOptions, MIN, ranking, snapshot, T0 } from './fixtures.js';



const GATE = gateOptions();

/** A strategy that proposes one BUY of A/USDT at every ranking. */
const alwaysBuy: Strategy = (source) =>
  new Observable<Decision>((subscriber) =>
    source.subscribe({
      next: (i) => {
        if (i.kind === 'ranking') subscriber.next({ kind: 'BUY', market: 'A/USDT', ts: i.ranking.ts, reason: 'ranked', score: 1, price: 100 });
      },
      complete: () => subscriber.complete(),
    }),
  );

/**
 * A paper trade of `market`: listed at 100, filled when a price trades below 100, then ±2 % fires an exit
 * and the next snapshot closes it. `path` is the price at each minute after the listing.
 */
function paperTrade(market: string, start: number, path: readonly number[]): StrategyInput[] {
  return [features(start, snapshot(market, start, 100)), ranking(start, market), ...path.map((p, i) => features(start + i + 1, snapshot(market, start + i + 1, p)))];
}

async function decisions(inputs: StrategyInput[], options = GATE, inner: Strategy = alwaysBuy): Promise<Decision[]> {
  return lastValueFrom(from(inputs).pipe(edgeGate(options)(inner), toArray()));
}

describe('edge gate', () => {
  it('holds cash until enough paper trades have closed, then buys only while their expected net return clears the margin, staked by capped Kelly', async () => {
    // A win fills at 99.9 (< 100), fires at 102.1 and closes at 102.2: +2.2 %; a loss closes at 97.8: −2.2 %.
    const win = (m: string, start: number) => paperTrade(m, start, [99.9, 102.1, 102.2]);
    const lose = (m: string, start: number) => paperTrade(m, start, [99.9, 97.9, 97.8]);
    // A coin without snapshots opens no paper trade: its rankings only ask the gate.
    const ask = (minute: number) => ranking(minute, 'Z/USDT');
    const out = await decisions([...win('W1/USDT', 0), ...win('W2/USDT', 10), ask(20), ...lose('L1/USDT', 30), ...lose('L2/USDT', 40), ...lose('L3/USDT', 50), ask(60)]);
    // At 0 and 10 fewer than two trades had closed. At 20 and 30: two wins (p = 1); at 40: W, W, L, EV +0.73 %;
    // at 50: W, W, L, L, EV 0 (under the margin); at 60: negative.
    expect(out.map((d) => d.ts)).toEqual([20, 30, 40].map((m) => T0 + m * MIN));
    // Kelly says far more than the cap (p/l − q/g with 2 % bets): the cap, 20 %.
    for (const d of out) expect(d.fraction).toBe(0.2);
  });

  it('a limit that never fills within the buy timeout is no trade, and a paper trade that never fills leaves the estimate empty', async () => {
    const out = await decisions([...paperTrade('A/USDT', 0, [100, 101, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112]), ranking(13, 'Z/USDT')], { ...GATE, minTrades: 0, margin: -1 });
    expect(out).toEqual([]);
  });

  it('the regime filter passes buys only while the breadth at its horizon is at least its minimum', async () => {
    const options = { ...GATE, edge: false, regimeMin: 0 };
    const bear = features(1, snapshot('A/USDT', 1, 100, { regime: 'bear' }), snapshot('B/USDT', 1, 100, { regime: 'flat' }));
    const bull = features(2, snapshot('A/USDT', 2, 100, { regime: 'bull' }), snapshot('B/USDT', 2, 100, { regime: 'flat' }));
    const out = await decisions([bear, ranking(1, 'A/USDT'), bull, ranking(2, 'A/USDT')], options);
    expect(out.map((d) => d.ts)).toEqual([T0 + 2 * MIN]);
    // Without the edge gate the stake is what a stop-loss may cost: 0.5 % / 2 % = 25 %, capped at 20 %; 0.2 % / 2 % = 10 %.
    expect(out[0]?.fraction).toBe(0.2);
    expect((await decisions([bull, ranking(2, 'A/USDT')], { ...options, riskPerTrade: 0.002 }))[0]?.fraction).toBeCloseTo(0.1, 12);
  });

  it('keeps a paper trade open in every coin the ranking lists, ranking changed or not: one coin listed once fills the estimate', async () => {
    // One ranking at minute 0, then winning cycles: each paper trade opens at the last price, fills a tick
    // below it, fires at +2.1 % and closes at +2.2 %; the next opens at once at that price.
    const inputs: StrategyInput[] = [features(0, snapshot('A/USDT', 0, 100)), ranking(0, 'A/USDT')];
    let price = 100;
    let minute = 0;
    for (let cycle = 0; cycle < 4; cycle++) for (const move of [0.999, 1.021 / 0.999, 1.022 / 1.021]) inputs.push(features(++minute, snapshot('A/USDT', minute, (price *= move))));
    // A strategy that proposes A at every batch, as a one-coin strategy re-enters the coin it keeps.
    const everyBatch: Strategy = (source) =>
      new Observable<Decision>((subscriber) =>
        source.subscribe({
          next: (i) => i.kind === 'features' && subscriber.next({ kind: 'BUY', market: 'A/USDT', ts: i.ts, reason: 'ranked', score: 1, price: 100 }),
          complete: () => subscriber.complete(),
        }),
      );
    const out = await decisions(inputs, GATE, everyBatch);
    // Two closed trades (minTrades 2) by minute 6: the BUYs from then on pass. Opened only at rankings, the
    // gate sampled one trade and stayed shut for good.
    expect(out.map((d) => d.ts)).toEqual([6, 7, 8, 9, 10, 11, 12].map((m) => T0 + m * MIN));
  });

  it('passes every other decision untouched (marbles)', () => {
    const sell: Decision = { kind: 'SELL', market: 'A/USDT', ts: T0, reason: 'stop-loss', price: 1 };
    const inner: Strategy = (source) =>
      new Observable<Decision>((subscriber) => source.subscribe({ next: (i) => i.kind === 'features' && subscriber.next(sell), complete: () => subscriber.complete() }));
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold('a-a-|', { a: features(0, snapshot('A/USDT', 0, 1)) }).pipe(edgeGate(GATE)(inner))).toBe('x-x-|', { x: sell });
    });
  });
});

describe('edgeEstimate', () => {
  it('p, mean gain and loss, the expected value and the capped Kelly stake, against the formulas', () => {
    const r = [0.03, -0.02, 0.01, -0.01, 0.02];
    const e = edgeEstimate(r, { kelly: 0.5, maxFraction: 10 });
    expect(e.p).toBeCloseTo(0.6, 12);
    expect(e.gain).toBeCloseTo(0.02, 12);
    expect(e.loss).toBeCloseTo(0.015, 12);
    expect(e.expected).toBeCloseTo(0.6 * 0.02 - 0.4 * 0.015, 12);
    expect(e.expected).toBeCloseTo(r.reduce((a, x) => a + x, 0) / r.length, 12);
    // f* = p/l − q/g = 0.6/0.015 − 0.4/0.02 = 20; half of it.
    expect(e.fraction).toBeCloseTo(10, 9);
    expect(edgeEstimate(r, { kelly: 0.5, maxFraction: 0.2 }).fraction).toBe(0.2);
    expect(edgeEstimate([-0.01, -0.02], { kelly: 0.5, maxFraction: 0.2 }).fraction).toBe(0);
    expect(edgeEstimate([], { kelly: 0.5, maxFraction: 0.2 })).toMatchObject({ trades: 0, expected: 0, fraction: 0 });
  });

  it('the Kelly stake maximises the expected log growth of the binary bet (brute force over stakes)', () => {
    const p = 0.55;
    const g = 0.04;
    const l = 0.05;
    const r = [...new Array<number>(55).fill(g), ...new Array<number>(45).fill(-l)];
    const f = edgeEstimate(r, { kelly: 1, maxFraction: 100 }).fraction;
    let best = 0;
    let bestGrowth = -Infinity;
    for (let s = 0; s <= 20; s += 0.001) {
      const growth = p * Math.log(1 + s * g) + (1 - p) * Math.log(1 - s * l);
      if (growth > bestGrowth) [best, bestGrowth] = [s, growth];
    }
    expect(f).toBeCloseTo(best, 2);
  });
});

describe('exit rule and bid peaks', () => {
  const rule = { takeProfit: 0.5, stopLoss: 0.08, maxHoldMs: 7 * 24 * 60 * MIN, trailActivate: 0.05, trailDistance: 0.05 };
  it('the trailing stop arms at its activation and sells its distance below the best', () => {
    expect(exitReason(rule, 0.04, 0.049, MIN)).toBeUndefined();
    expect(exitReason(rule, 0.0, 0.05, MIN)).toBe('trailing-stop');
    expect(exitReason(rule, 0.06, 0.1, MIN)).toBeUndefined();
    expect(exitReason(rule, 0.05, 0.1, MIN)).toBe('trailing-stop');
    expect(exitReason(rule, -0.08, 0.1, MIN)).toBe('stop-loss');
    expect(exitReason(rule, 0.5, 0.5, MIN)).toBe('take-profit');
    expect(exitReason({ ...rule, trailActivate: 0 }, 0.0, 0.3, MIN)).toBeUndefined();
    expect(exitReason(rule, 0.01, 0.01, rule.maxHoldMs)).toBe('time-limit');
  });

  it('the peak since any time matches a brute-force maximum over the kept horizon', () => {
    const random = new Random(4);
    const horizon = 50;
    const peaks = new BidPeaks(horizon);
    const seen: { ts: number; bid: number }[] = [];
    for (let t = 0; t < 2000; t++) {
      const bid = 100 + Math.round(random.normal() * 5);
      peaks.add('A', t, bid);
      seen.push({ ts: t, bid });
      for (const since of [t - horizon, t - 17, t - 3, t]) {
        const kept = seen.filter((s) => s.ts >= Math.max(since, t - horizon));
        expect(peaks.since('A', since)).toBe(Math.max(...kept.map((s) => s.bid)));
      }
    }
    expect(peaks.since('B', 0)).toBeNaN();
  });

  it('the triple barrier sells on the trailing stop from the peak since the entry, not before it', async () => {
    const options = { takeProfit: 0.5, stopLoss: 0.08, maxHoldMs: 600 * MIN, buyTimeoutMs: 10 * MIN, chaseTicks: 5, feeRate: 0, skipBearMarket: false, trailActivate: 0.05, trailDistance: 0.05 };
    const position: PositionView = { positionId: 'p1', market: 'A/USDT', state: 'holding', amount: 1, entryPrice: 100, entryTs: T0 + 10 * MIN, orderPrice: 100, orderTs: T0 + 10 * MIN, tickSize: 0.01 };
    // 120 before the entry must not arm the stop; 106 after it does (+6 %), 101.5 (+1.5 %) holds, 100.7 (+0.7 %, 5.3 points under) sells.
    const prices: [number, number][] = [[5, 120], [10, 100], [11, 106], [12, 101.5], [13, 100.7]];
    const out = await lastValueFrom(from([...prices.slice(0, 2).map(([m, p]) => features(m, snapshot('A/USDT', m, p))), { kind: 'position', position } as StrategyInput, ...prices.slice(2).map(([m, p]) => features(m, snapshot('A/USDT', m, p)))]).pipe(tripleBarrier(options), toArray()));
    expect(out).toEqual([{ kind: 'SELL', market: 'A/USDT', ts: T0 + 13 * MIN, reason: 'trailing-stop', price: 100.7 }]);
  });
});
