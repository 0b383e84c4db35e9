import { describe, expect, it } from 'vitest';
import { decisionTable, exitKind, exitTable, marketChange, pairTable, periodTable, runResults } from '../../src/report/results.js';
import { PerformanceTracker, type HourRow, type TradeRecord } from '../../src/report/performance.js';
import { Random } from '../../src/core/index.js';

const H = 3_600_000;
const T0 = Date.parse('2021-01-30T00:00:00Z');
const MARKETS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'];
const REASONS = ['take-profit', 'stop-loss', 'time-limit', 'trailing-stop', 'liquidate', 'cancelled', 'my-own-exit'];

function trades(n: number, seed: number): TradeRecord[] {
  const random = new Random(seed);
  const rnd = (): number => random.next();
  return Array.from({ length: n }, (_, i) => {
    const openedTs = T0 + Math.floor(rnd() * 72) * H;
    const ret = (rnd() - 0.5) * 0.1;
    return {
      positionId: `p-${i}`,
      market: MARKETS[Math.floor(rnd() * MARKETS.length)] as string,
      openedTs,
      closedTs: openedTs + Math.floor(rnd() * 30) * H,
      amount: 1,
      entryPrice: 100,
      exitPrice: 100 * (1 + ret),
      spent: 100,
      received: 100 * (1 + ret),
      fees: 0.2,
      pnl: 100 * ret,
      return: ret,
      reason: REASONS[Math.floor(rnd() * REASONS.length)] as string,
      regime: {},
    };
  });
}

describe('results tables', () => {
  it('groups exit reasons as a trader does', () => {
    expect(['take-profit', 'stop-loss', 'trailing-stop', 'time-limit', 'max-hold', 'liquidate', 'kill-switch: max drawdown', 'cancelled', 'rejected: funds', 'whatever'].map(exitKind)).toEqual([
      'take-profit',
      'stop',
      'trailing',
      'time',
      'time',
      'halt',
      'halt',
      'cancel',
      'cancel',
      'other',
    ]);
  });

  it('per pair and per exit reason agree with a brute-force count', () => {
    const ts = trades(300, 7);
    const changes = new Map([['BTC/USDT', 0.1]]);
    const pairs = pairTable(ts, changes);
    expect(pairs.reduce((a, p) => a + p.trades, 0)).toBe(300);
    for (const p of pairs) {
      const mine = ts.filter((t) => t.market === p.market);
      expect(p.trades).toBe(mine.length);
      expect(p.wins).toBe(mine.filter((t) => t.pnl > 0).length);
      expect(p.pnl).toBeCloseTo(mine.reduce((a, t) => a + t.pnl, 0), 9);
      expect(p.meanReturn).toBeCloseTo(mine.reduce((a, t) => a + t.return, 0) / mine.length, 12);
      expect(p.meanHoldMs).toBeCloseTo(mine.reduce((a, t) => a + t.closedTs - t.openedTs, 0) / mine.length, 6);
      expect(p.marketChange).toBe(p.market === 'BTC/USDT' ? 0.1 : null);
    }
    // Most P&L first.
    for (let i = 1; i < pairs.length; i++) expect((pairs[i - 1] as { pnl: number }).pnl).toBeGreaterThanOrEqual((pairs[i] as { pnl: number }).pnl);
    const exits = exitTable(ts);
    expect(exits.map((e) => e.exit)).toEqual(['take-profit', 'stop', 'trailing', 'time', 'cancel', 'halt', 'other']);
    for (const e of exits) {
      const mine = ts.filter((t) => exitKind(t.reason) === e.exit);
      expect(e.trades).toBe(mine.length);
      expect(e.pnl).toBeCloseTo(mine.reduce((a, t) => a + t.pnl, 0), 9);
      expect(Object.values(e.reasons).reduce((a, b) => a + b, 0)).toBe(mine.length);
    }
  });

  it('days and months take equity from the hours and P&L from the trades closed in them', () => {
    const ts = trades(200, 11);
    const hours: HourRow[] = Array.from({ length: 120 }, (_, i) => ({ hour: T0 + i * H, equityStart: 1000 + i, equityEnd: 1001 + i, return: 1 / (1000 + i), buys: 0, sells: 0, closed: 0, wins: 0, losses: 0 }));
    const days = periodTable(hours, ts, 'day');
    expect(days[0]).toMatchObject({ period: '2021-01-30', equityStart: 1000, equityEnd: 1024 });
    expect(days[1]).toMatchObject({ period: '2021-01-31', equityStart: 1024, equityEnd: 1048 });
    for (const d of days) {
      const mine = ts.filter((t) => new Date(t.closedTs).toISOString().startsWith(d.period));
      expect(d.trades).toBe(mine.length);
      expect(d.pnl).toBeCloseTo(mine.reduce((a, t) => a + t.pnl, 0), 9);
    }
    const months = periodTable(hours, ts, 'month');
    expect(months.map((m) => m.period)).toEqual(['2021-01', '2021-02']);
    expect(months[0]).toMatchObject({ equityStart: 1000, equityEnd: 1048 });
    expect(months[1]).toMatchObject({ equityStart: 1048, equityEnd: 1120 });
    expect(months.reduce((a, m) => a + m.trades, 0)).toBe(200);
  });

  it('market change is the equal-weight buy-and-hold of the quote\'s markets', () => {
    const prices = new Map([
      ['BTC/USDT', { first: 100, last: 150 }],
      ['ETH/USDT', { first: 10, last: 8 }],
      ['BTC/KRW', { first: 1, last: 100 }],
    ]);
    const { market, perMarket } = marketChange(prices, 'USDT', 0.05);
    expect(market.markets).toBe(2);
    expect(market.change).toBeCloseTo((0.5 - 0.2) / 2, 12);
    expect(market.excess).toBeCloseTo(0.05 - 0.15, 12);
    expect([...perMarket.keys()]).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(marketChange(new Map(), 'USDT', 0).market).toEqual({ change: null, markets: 0, excess: null });
  });

  it('decisions split into acted on and suppressed with the reasons, most frequent first', () => {
    expect(decisionTable({ BUY: { acted: 5, 'no-slot': 3, halted: 9, 'already-holding': 1 }, SELL: { acted: 4 } })).toEqual([
      { kind: 'BUY', total: 18, acted: 5, suppressed: 13, why: { halted: 9, 'no-slot': 3, 'already-holding': 1 } },
      { kind: 'SELL', total: 4, acted: 4, suppressed: 0, why: {} },
    ]);
  });
});

describe('the tracker keeps halts and decision outcomes, also across a checkpoint', () => {
  it('records a kill-switch halt and when the bot ran again; the end of a run is no halt', () => {
    const t = new PerformanceTracker();
    t.onBotState(1000, 'stopping', 'kill-switch: daily loss limit');
    t.onBotState(1100, 'stopped', 'kill-switch: daily loss limit');
    t.onBotState(86_400_000, 'running', undefined);
    t.onBotState(90_000_000, 'stopping', 'kill-switch: max drawdown');
    t.onBotState(90_000_001, 'stopped', 'kill-switch: max drawdown');
    const restored = PerformanceTracker.fromState(JSON.parse(JSON.stringify(t.state())));
    for (const x of [t, restored]) {
      x.onBotState(99_000_000, 'stopping', 'end of data');
      expect(x.halts).toEqual([
        { ts: 1000, reason: 'kill-switch: daily loss limit', resumedTs: 86_400_000 },
        { ts: 90_000_000, reason: 'kill-switch: max drawdown', resumedTs: null },
      ]);
    }
    const fresh = new PerformanceTracker();
    fresh.onBotState(5, 'stopping', 'end of data');
    expect(fresh.halts).toEqual([]);
    const d = { kind: 'BUY', market: 'BTC/USDT', ts: 1, reason: 'ranked' } as const;
    t.onDecisionOutcome(d, 'acted');
    t.onDecisionOutcome(d, 'halted');
    t.onDecisionOutcome(d, 'halted');
    expect(runResults(PerformanceTracker.fromState(t.state()), new Map(), 'USDT', 0).decisions).toEqual([{ kind: 'BUY', total: 3, acted: 1, suppressed: 2, why: { halted: 2 } }]);
  });
});
