import { from, lastValueFrom, Observable, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Decision, Regime } from '../../src/core/index.js';
import { Random } from '../../src/core/random.js';
import { edgeGate, riskOn, tripleBarrier, type Strategy, type StrategyInput } from '../../strategies/index.js';
import { features, gateOptions, MIN, ranking, snapshot, T0 } from './fixtures.js';



const GATE = gateOptions({ trailActivate: 0.01, trailDistance: 0.01, feeRate: 0.001 });
const ON = { horizon: '24h', breadth: 0.5, fraction: 0.15 };

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

const run = (inputs: StrategyInput[], strategy: Strategy): Promise<Decision[]> => lastValueFrom(from(inputs).pipe(strategy, toArray()));

describe('risk on', () => {
  it('while the breadth is at least its minimum, buys skip the expected-value gate at the risk-on stake; below it the gate decides (no paper trades yet: cash)', async () => {
    // Three coins: two bull and one flat is breadth 2/3; one bull, two flat is 1/3.
    const broad = features(1, snapshot('A/USDT', 1, 100, { regime: 'bull' }), snapshot('B/USDT', 1, 50, { regime: 'bull' }), snapshot('C/USDT', 1, 20));
    const narrow = features(2, snapshot('A/USDT', 2, 100, { regime: 'bull' }), snapshot('B/USDT', 2, 50), snapshot('C/USDT', 2, 20));
    const out = await run([broad, ranking(1, 'A/USDT'), narrow, ranking(2, 'A/USDT'), broad, ranking(3, 'A/USDT')], riskOn(ON, edgeGate(GATE))(alwaysBuy));
    expect(out).toEqual([
      { kind: 'BUY', market: 'A/USDT', ts: T0 + MIN, reason: 'ranked', score: 1, price: 100, fraction: 0.15 },
      { kind: 'BUY', market: 'A/USDT', ts: T0 + 3 * MIN, reason: 'ranked', score: 1, price: 100, fraction: 0.15 },
    ]);
    // The gate alone holds cash throughout: fewer than two paper trades have closed.
    expect(await run([broad, ranking(1, 'A/USDT'), narrow, ranking(2, 'A/USDT')], edgeGate(GATE)(alwaysBuy))).toEqual([]);
  });

  it('never on, it decides exactly as the gate alone (triple barrier on random rising prices, brute-force equality)', async () => {
    const random = new Random(12);
    const inputs: StrategyInput[] = [];
    const price = new Map([['A/USDT', 100], ['B/USDT', 50]]);
    for (let m = 0; m < 600; m++) {
      for (const [k, p] of price) price.set(k, p * (1.0015 + random.normal() * 0.004));
      const regime = (): Regime => (random.next() < 0.4 ? 'bull' : random.next() < 0.5 ? 'bear' : 'flat');
      inputs.push(features(m, ...[...price].map(([k, p]) => snapshot(k, m, p, { regime: regime() }))));
      if (m % 7 === 0) inputs.push(ranking(m, ...(random.next() < 0.5 ? ['A/USDT', 'B/USDT'] : ['B/USDT', 'A/USDT'])));
    }
    const rule = (): Strategy => tripleBarrier({ takeProfit: 0.02, stopLoss: 0.02, maxHoldMs: 60 * MIN, buyTimeoutMs: 10 * MIN, chaseTicks: 0, feeRate: 0.001, skipBearMarket: false, trailActivate: 0.01, trailDistance: 0.01 });
    const alone = await run(inputs, edgeGate(GATE)(rule()));
    expect(alone.filter((d) => d.kind === 'BUY').length).toBeGreaterThan(0);
    // A breadth above 1 is never reached: the same decisions to the byte.
    expect(await run(inputs, riskOn({ ...ON, breadth: 1.01 }, edgeGate(GATE))(rule()))).toEqual(alone);
    // At 1 (every coin bull) it is on in some batches: more buys, those at the risk-on stake.
    const sometimes = await run(inputs, riskOn({ ...ON, breadth: 1 }, edgeGate(GATE))(rule()));
    expect(sometimes.filter((d) => d.fraction === 0.15).length).toBeGreaterThan(0);
    // Always on (breadth ≥ −1): every BUY of the rule goes out at the risk-on stake, the rest as the gate passes them.
    const always = await run(inputs, riskOn({ ...ON, breadth: -1 }, edgeGate(GATE))(rule()));
    expect(always.filter((d) => d.kind === 'BUY').every((d) => d.fraction === 0.15)).toBe(true);
    expect(always.filter((d) => d.kind === 'BUY').length).toBeGreaterThan(alone.filter((d) => d.kind === 'BUY').length);
  });

  it('passes every other decision through the gate untouched and completes with its source (marbles)', () => {
    const sell: Decision = { kind: 'SELL', market: 'A/USDT', ts: T0, reason: 'stop-loss', price: 1 };
    const inner: Strategy = (source) =>
      new Observable<Decision>((subscriber) => source.subscribe({ next: (i) => i.kind === 'features' && subscriber.next(sell), complete: () => subscriber.complete() }));
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold('a-a-|', { a: features(0, snapshot('A/USDT', 0, 1, { regime: 'bull' })) }).pipe(riskOn(ON, edgeGate(GATE))(inner))).toBe('x-x-|', { x: sell });
    });
  });
});
