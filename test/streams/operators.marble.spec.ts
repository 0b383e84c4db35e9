import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FeatureSnapshot, MarketEvent, TradeEvent } from '../../src/core/index.js';
import { dedupeTrades, featureSnapshots, type FeatureBatch, type FeatureCounters, rankMarkets, volumeFilter, type DedupeCounters } from '../../streams/index.js';

const MIN = 60_000;
const T0 = 1_700_000_040_000; // a multiple of one minute

function trade(market: string, ts: number, price: number, amount = 1, id?: number): TradeEvent {
  return id === undefined ? { kind: 'trade', market, ts, price, amount } : { kind: 'trade', market, ts, price, amount, id };
}

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A batch summarised as `ts: market=price/1m-volume, …` for readable marble expectations. */
function summary(batch: FeatureBatch): string {
  return `${(batch.ts - T0) / MIN}: ${batch.snapshots.map((s) => `${s.market}=${s.price}/${s.windows['1m'].volume}`).join(' ')}`;
}

describe('featureSnapshots (marbles)', () => {
  it('emits a batch at each boundary once an event passes it, and the last one on completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold<MarketEvent>('a-b-c-d-|', {
        a: trade('BTC/KRW', T0 + 10_000, 100),
        b: trade('ETH/KRW', T0 + 50_000, 10, 2),
        c: trade('BTC/KRW', T0 + MIN + 1, 101), // passes the boundary T0 + 1m
        d: trade('BTC/KRW', T0 + 2 * MIN, 102), // exactly on the next boundary: belongs to it
      });
      expectObservable(source.pipe(featureSnapshots({ everyMs: MIN }), map(summary))).toBe('----x---(y|)', {
        x: '1: BTC/KRW=100/1 ETH/KRW=10/2',
        y: '2: BTC/KRW=102/2 ETH/KRW=10/0',
      });
    });
  });

  it('skips boundaries of a gap and drops markets that went stale', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold<MarketEvent>('a-b-c-|', {
        a: trade('BTC/KRW', T0 + 1000, 100),
        b: trade('ETH/KRW', T0 + 2000, 10),
        c: trade('BTC/KRW', T0 + 10 * MIN + 5, 105), // 9 empty minutes later; ETH silent for > 5 minutes
      });
      expectObservable(source.pipe(featureSnapshots({ everyMs: MIN, staleAfterMs: 5 * MIN }), map(summary))).toBe('----x-(y|)', {
        x: '1: BTC/KRW=100/1 ETH/KRW=10/1',
        y: '11: BTC/KRW=105/1',
      });
    });
  });

  it('counts and drops an event older than what its market has seen, and lets a new market join', () => {
    const counters: FeatureCounters = { events: 0, outOfOrder: 0 };
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold<MarketEvent>('a-b-c-d|', {
        a: trade('BTC/KRW', T0 + 30_000, 100),
        b: trade('BTC/KRW', T0 + 20_000, 999), // out of order
        c: trade('XRP/KRW', T0 + MIN + 10, 1), // joins; passes the boundary
        d: trade('XRP/KRW', T0 + 40_000, 2), // older than the boundary already emitted
      });
      expectObservable(source.pipe(featureSnapshots({ everyMs: MIN, counters }), map(summary))).toBe('----x--(y|)', {
        x: '1: BTC/KRW=100/1',
        y: '2: BTC/KRW=100/0 XRP/KRW=1/1',
      });
    });
    expect(counters).toEqual({ events: 4, outOfOrder: 2 });
  });

  it('keeps no state between subscriptions', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold<MarketEvent>('a-b|', { a: trade('BTC/KRW', T0 + 1, 100), b: trade('BTC/KRW', T0 + MIN + 1, 100) });
      const features = source.pipe(featureSnapshots({ everyMs: MIN }), map(summary));
      expectObservable(features).toBe('--x(y|)', { x: '1: BTC/KRW=100/1', y: '2: BTC/KRW=100/1' });
      expectObservable(features).toBe('--x(y|)', { x: '1: BTC/KRW=100/1', y: '2: BTC/KRW=100/1' });
    });
  });

  it('rejects a non-positive cadence', () => {
    expect(() => featureSnapshots({ everyMs: 0 })).toThrow(/everyMs must be > 0/);
  });
});

describe('dedupeTrades (marbles)', () => {
  it('drops repeated or older ids per market and counts gaps', () => {
    const counters: DedupeCounters = { duplicates: 0, gaps: 0, missing: 0 };
    scheduler().run(({ cold, expectObservable }) => {
      const a = trade('BTC/KRW', T0, 1, 1, 10);
      const b = trade('BTC/KRW', T0 + 1, 1, 1, 11);
      const c = trade('BTC/KRW', T0 + 2, 1, 1, 11);
      const d = trade('ETH/KRW', T0 + 2, 1, 1, 11);
      const e = trade('BTC/KRW', T0 + 3, 1, 1, 15);
      const f = trade('BTC/KRW', T0 + 4, 1, 1, 12);
      const g = trade('BTC/KRW', T0 + 5, 1, 1);
      const source = cold<MarketEvent>('abcdefg|', { a, b, c, d, e, f, g });
      expectObservable(source.pipe(dedupeTrades({ consecutiveIds: true, counters }))).toBe('ab-de-g|', { a, b, d, e, g });
    });
    expect(counters).toEqual({ duplicates: 2, gaps: 1, missing: 3 });
  });
});

function snapshot(market: string, price: number, vwap: number, value1d: number, trades1d = 100): FeatureSnapshot {
  const stats = { vwap, volume: value1d / vwap, value: value1d, trades: trades1d };
  const windows = Object.fromEntries(['1m', '3m', '5m', '10m', '30m', '1h', '6h', '12h', '1d', '1w', '1M'].map((w) => [w, stats])) as unknown as FeatureSnapshot['windows'];
  return { market, ts: T0, price, windows, volatility: 0.01, position: 0.5, high: price, low: price, regime: { '1h': 'flat', '6h': 'flat', '12h': 'flat', '24h': 'flat' } };
}

describe('rankMarkets and volumeFilter (marbles)', () => {
  it('emits the top N only when the list or its order changes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const b1: FeatureBatch = { ts: 1, snapshots: [snapshot('A/KRW', 101, 100, 1e9), snapshot('B/KRW', 99, 100, 1e9), snapshot('C/KRW', 105, 100, 1e9)] };
      const b2: FeatureBatch = { ts: 2, snapshots: [snapshot('A/KRW', 102, 100, 1e9), snapshot('B/KRW', 98, 100, 1e9), snapshot('C/KRW', 106, 100, 1e9)] };
      const b3: FeatureBatch = { ts: 3, snapshots: [snapshot('A/KRW', 110, 100, 1e9), snapshot('B/KRW', 98, 100, 1e9), snapshot('C/KRW', 101, 100, 1e9)] };
      const source = cold<FeatureBatch>('xyz|', { x: b1, y: b2, z: b3 });
      expectObservable(source.pipe(rankMarkets({ top: 2 }), map((r) => `${r.ts}:${r.ranking.map((e) => e.market).join(',')}`))).toBe('x-z|', {
        x: '1:C/KRW,A/KRW',
        z: '3:A/KRW,C/KRW',
      });
    });
  });

  it('drops thin coins before ranking', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const batch: FeatureBatch = { ts: 1, snapshots: [snapshot('THIN/KRW', 150, 100, 1e3), snapshot('DEEP/KRW', 101, 100, 1e9), snapshot('FEW/KRW', 120, 100, 1e9, 3)] };
      const source = cold<FeatureBatch>('x|', { x: batch });
      expectObservable(source.pipe(volumeFilter({ minValue: 1e6, minTrades: 10 }), rankMarkets({ top: 3 }), map((r) => r.ranking.map((e) => e.market).join(',')))).toBe('x|', { x: 'DEEP/KRW' });
    });
  });
});
