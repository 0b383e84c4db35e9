import { describe, expect, it } from 'vitest';
import { Random, type OrderEvent } from '../../src/core/index.js';
import { MIN_RATIO_HOURS, PerformanceTracker } from '../../src/report/performance.js';
import type { PositionResult } from '../../machines/index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function fill(ts: number, side: 'buy' | 'sell', clientId: string, price: number, amount: number, fee: number): OrderEvent {
  const order = { id: clientId, clientId, market: 'BTC/KRW', side, price, amount, status: 'filled' as const, filled: amount, cost: price * amount, fee, ts };
  return { type: 'order.fill', ts, order, fill: { orderId: clientId, clientId, market: 'BTC/KRW', side, price, amount, fee, ts } };
}

function result(positionId: string, closedTs: number, pnl: number, spent = 1000): PositionResult {
  return { positionId, market: 'BTC/KRW', openedTs: closedTs - HOUR, closedTs, amount: 1, entryPrice: spent, exitPrice: spent + pnl, spent, received: spent + pnl, fees: 1, pnl, return: pnl / spent, reason: pnl > 0 ? 'take-profit' : 'stop-loss' };
}

describe('PerformanceTracker', () => {
  it('matches a brute-force computation of hourly returns, drawdown, Sharpe, Sortino, exposure and regime splits', () => {
    const random = new Random(3);
    const tracker = new PerformanceTracker();
    const points: { ts: number; equity: number; invested: number }[] = [];
    let equity = 1_000_000;
    // Equity every 5 minutes for 3 days; a trade closing now and then.
    for (let ts = T0; ts < T0 + 72 * HOUR; ts += 300_000) {
      equity *= 1 + random.normal() * 0.002;
      const invested = equity * random.next() * 0.5;
      tracker.onEquity(ts, equity, invested);
      points.push({ ts, equity, invested });
      if (random.next() < 0.05) {
        const id = `p${points.length}`;
        tracker.onOrderEvent(fill(ts, 'buy', `${id}-b1`, 100, 1, 0.05));
        tracker.onPositionSettled(result(id, ts, (random.next() - 0.45) * 20), { '1h': random.next() < 0.5 ? 'bull' : 'bear', '6h': 'flat', '12h': 'flat', '24h': 'bull' });
      }
    }
    // Brute force: hours by floor(ts / 1h); an hour's return runs from the previous hour's last equity.
    const lastOfHour = new Map<number, number>();
    for (const p of points) lastOfHour.set(Math.floor(p.ts / HOUR), p.equity);
    const hours = [...lastOfHour.keys()].sort((a, b) => a - b);
    const returns = hours.map((h, i) => (lastOfHour.get(h) as number) / (i === 0 ? (points[0] as { equity: number }).equity : (lastOfHour.get(hours[i - 1] as number) as number)) - 1);
    const hourly = tracker.hourly();
    expect(hourly.map((h) => h.hour / HOUR)).toEqual(hours);
    hourly.forEach((h, i) => expect(h.return).toBeCloseTo(returns[i] as number, 12));
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
    const downside = Math.sqrt(returns.reduce((a, r) => a + Math.min(0, r) ** 2, 0) / returns.length);
    const curve = points.filter((p, i) => i === 0 || Math.floor(p.ts / HOUR) !== Math.floor((points[i - 1] as { ts: number }).ts / HOUR));
    let peak = 0;
    let maxDrawdown = 0;
    for (const p of points) {
      peak = Math.max(peak, p.equity);
      maxDrawdown = Math.max(maxDrawdown, (peak - p.equity) / peak);
    }
    const s = tracker.summary() as Record<string, number>;
    expect(s['finalEquity']).toBe(equity);
    expect(s['totalReturn']).toBeCloseTo(equity / (points[0] as { equity: number }).equity - 1, 12);
    expect(s['sharpe']).toBeCloseTo((mean / sd) * Math.sqrt(24 * 365), 9);
    expect(s['sortino']).toBeCloseTo((mean / downside) * Math.sqrt(24 * 365), 9);
    expect(s['maxDrawdown']).toBeCloseTo(maxDrawdown, 12);
    expect(s['exposure']).toBeCloseTo(curve.reduce((a, p) => a + p.invested / p.equity, 0) / curve.length, 12);
    const trades = tracker.trades;
    expect(s['trades']).toBe(trades.length);
    expect(s['winRate']).toBeCloseTo(trades.filter((t) => t.pnl > 0).length / trades.length, 12);
    const bull1h = trades.filter((t) => t.regime['1h'] === 'bull');
    const row = tracker.byRegime().find((r) => r.horizon === '1h' && r.regime === 'bull');
    expect(row?.trades).toBe(bull1h.length);
    expect(row?.pnl).toBeCloseTo(bull1h.reduce((a, t) => a + t.pnl, 0), 9);
    expect(row?.wins).toBe(bull1h.filter((t) => t.pnl > 0).length);
    expect(s['feesPaid']).toBeCloseTo(trades.length * 0.05, 9);
  });

  it('Sharpe and Sortino are null under a day of hourly returns (an annualised ratio of minutes is noise) and computed from the 24th hour on', () => {
    const random = new Random(5);
    const tracker = new PerformanceTracker();
    let equity = 1_000;
    const sharpes: unknown[] = [];
    for (let ts = T0; ts < T0 + 30 * HOUR; ts += 600_000) {
      equity *= 1 + random.normal() * 0.003;
      tracker.onEquity(ts, equity, 0);
      const s = tracker.summary();
      expect(s['sortino'] === null).toBe(s['sharpe'] === null);
      if ((s['hours'] as number) < MIN_RATIO_HOURS) expect(s['sharpe']).toBeNull();
      else sharpes.push(s['sharpe']);
    }
    expect(MIN_RATIO_HOURS).toBe(24);
    expect(sharpes.length).toBeGreaterThan(0);
    expect(sharpes.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
  });

  it('counts buys and sells per hour by order, not by fill, and wins per closing hour', () => {
    const t = new PerformanceTracker();
    t.onEquity(T0, 100, 0);
    t.onOrderEvent(fill(T0 + 10, 'buy', 'a-b1', 10, 1, 0));
    t.onOrderEvent(fill(T0 + 20, 'buy', 'a-b1', 10, 1, 0)); // second fill of the same order
    t.onOrderEvent(fill(T0 + 30, 'buy', 'b-b1', 10, 1, 0));
    t.onOrderEvent(fill(T0 + HOUR + 5, 'sell', 'a-s2', 11, 2, 0));
    t.onPositionSettled(result('a', T0 + HOUR + 5, 2), {});
    t.onEquity(T0 + HOUR + 10, 102, 0);
    const [h0, h1] = t.hourly();
    expect([h0?.buys, h0?.sells, h0?.closed]).toEqual([2, 0, 0]);
    expect([h1?.buys, h1?.sells, h1?.closed, h1?.wins, h1?.losses]).toEqual([0, 1, 1, 1, 0]);
    expect(h1?.return).toBeCloseTo(0.02, 12);
  });
  it('a fee corrected after a round trip settled moves it between its hour\'s wins and losses when it changes the sign of its P&L', () => {
    const tracker = new PerformanceTracker();
    tracker.onEquity(T0, 1_000, 0);
    tracker.onPositionSettled(result('p1', T0 + 10 * 60_000, 0.01), {});
    tracker.onPositionSettled(result('p2', T0 + 20 * 60_000, 0.5), {});
    tracker.onEquity(T0 + HOUR, 1_000.51, 0);
    expect(tracker.hourly()[0]).toMatchObject({ closed: 2, wins: 2, losses: 0 });
    // The sell of p1 paid 0.02 more than its estimate: its +0.01 becomes −0.01, an hour later.
    const sell = { id: 's', clientId: 'p1-s1', market: 'BTC/KRW', side: 'sell' as const, price: 1000.01, amount: 1, status: 'filled' as const, filled: 1, cost: 1000.01, fee: 1.02, ts: T0 + HOUR };
    tracker.onOrderEvent({ type: 'order.feeCorrected', ts: T0 + HOUR, order: sell, delta: 0.02 });
    expect(tracker.trades[0]!.pnl).toBeCloseTo(-0.01, 12);
    expect(tracker.hourly()[0]).toMatchObject({ closed: 2, wins: 1, losses: 1 });
    expect(tracker.hourly()[1]).toMatchObject({ closed: 0, wins: 0, losses: 0 });
    // A correction that keeps the sign moves nothing.
    tracker.onOrderEvent({ type: 'order.feeCorrected', ts: T0 + HOUR, order: { ...sell, clientId: 'p2-s1' }, delta: 0.1 });
    expect(tracker.hourly()[0]).toMatchObject({ wins: 1, losses: 1 });
  });
});
