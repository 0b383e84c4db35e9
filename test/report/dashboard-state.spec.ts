import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { FeatureSnapshot, OrderEvent, WindowStats } from '../../src/core/index.js';
import { WINDOWS } from '../../src/core/index.js';
import { botMachine } from '../../machines/index.js';
import { PerformanceTracker } from '../../src/report/performance.js';
import { BoundedTable } from '../../src/report/bounded-table.js';
import { DashboardState, eventDetail, type PositionRowView, type TransitionView } from '../../src/report/dashboard-state.js';
import { watchPositions } from '../../src/report/position-transitions.js';
import { statechartOf } from '../../src/report/statechart.js';
import { positionMachine } from '../../machines/index.js';
import { ExchangeOrder } from '../machines/position-fixtures.js';

const T0 = Date.UTC(2024, 0, 1);

function snapshot(market: string, ts: number, price: number, regime: Record<string, 'bull' | 'bear' | 'flat'>): FeatureSnapshot {
  const w = (vwap: number): WindowStats => ({ vwap, volume: 10, value: 10 * vwap, trades: 5 });
  const windows = Object.fromEntries(WINDOWS.map((n) => [n, w(price * 0.99)])) as FeatureSnapshot['windows'];
  return { market, ts, price, windows, volatility: 0.01, position: 0.5, high: price * 1.1, low: price * 0.9, regime };
}

function fillEvent(ts: number, clientId: string, side: 'buy' | 'sell', price: number, amount: number): OrderEvent {
  const order = { id: `x-${clientId}`, clientId, market: 'BTC/KRW', side, price, amount, status: 'filled' as const, filled: amount, cost: price * amount, fee: 1, ts };
  return { type: 'order.fill', ts, order, fill: { orderId: order.id, clientId, market: 'BTC/KRW', side, price, amount, fee: 1, ts } };
}

describe('BoundedTable', () => {
  it('back-fills late columns with null and replaces a row at the same time', () => {
    const t = new BoundedTable(10);
    t.add(1, { a: 1 });
    t.add(2, { a: 2, b: 20 });
    t.add(2, { b: 21 });
    t.add(3, { b: 30 });
    expect(t.ts).toEqual([1, 2, 3]);
    expect(t.column('a')).toEqual([1, 2, null]);
    expect(t.column('b')).toEqual([null, 21, 30]);
    expect(t.column('missing')).toEqual([null, null, null]);
  });

  it('halves its resolution past the bound, keeping the first and the newest row', () => {
    const t = new BoundedTable(8);
    for (let i = 0; i < 100; i++) t.add(i, { v: i * 10 });
    expect(t.length).toBeLessThanOrEqual(8);
    expect(t.ts[0]).toBe(0);
    expect(t.ts.at(-1)).toBe(99);
    expect(t.column('v')).toEqual(t.ts.map((x) => x * 10));
    expect([...t.ts].sort((a, b) => a - b)).toEqual(t.ts);
  });
});

describe('DashboardState', () => {
  function state(): DashboardState {
    return new DashboardState({ stats: new PerformanceTracker(), maxRows: 3, recentPositions: 2, sampleMs: 60_000 });
  }

  it('computes breadth and per-coin regimes per horizon, and the coin price lines', () => {
    const s = state();
    s.onFeatures({ ts: T0 + 60_000, snapshots: [snapshot('BTC/KRW', T0 + 60_000, 100, { '1h': 'bull', '6h': 'bear', '12h': 'flat', '24h': 'bull' }), snapshot('ETH/KRW', T0 + 60_000, 10, { '1h': 'bull', '6h': 'flat', '12h': 'flat', '24h': 'bear' })] });
    // A second batch in the same minute does not add a row.
    s.onFeatures({ ts: T0 + 90_000, snapshots: [snapshot('BTC/KRW', T0 + 90_000, 101, { '1h': 'bear', '6h': 'bear', '12h': 'flat', '24h': 'bull' })] });
    s.onFeatures({ ts: T0 + 120_000, snapshots: [snapshot('BTC/KRW', T0 + 120_000, 102, { '1h': 'bear', '6h': 'bear', '12h': 'bear', '24h': 'bull' })] });
    const v = s.view({ coin: 'ETH/KRW' });
    const r = v.charts.regimes;
    expect(r.ts).toEqual([T0 + 60_000, T0 + 120_000]);
    expect(r.breadth['1h']).toEqual([1, -1]);
    expect(r.breadth['6h']).toEqual([-0.5, -1]);
    expect(r.breadth['24h']).toEqual([0, 1]);
    expect(r.market).toBe('ETH/KRW');
    expect(r.coin['24h']).toEqual([-1, null]);
    expect(v.charts.coin?.market).toBe('ETH/KRW');
    expect(v.charts.coin?.price).toEqual([10]);
    expect(v.charts.coin?.high[0]).toBeCloseTo(11);
    expect(Object.keys(v.charts.coin?.averages ?? {})).toEqual(['10m', '1h', '6h', '1d']);
    // Default coin: the first market (no ranking yet, alphabetical).
    expect(s.view().charts.coin?.market).toBe('BTC/KRW');
    expect(s.view().charts.coin?.price).toEqual([100, 102]);
    expect(v.now).toBe(T0 + 120_000);
  });

  it('shows the ranking with the features behind each score', () => {
    const s = state();
    s.onFeatures({ ts: T0, snapshots: [snapshot('BTC/KRW', T0, 100, { '1h': 'bull', '6h': 'flat', '12h': 'flat', '24h': 'flat' })] });
    s.onRanking({ ts: T0, ranking: [{ market: 'BTC/KRW', score: 1.5 }, { market: 'NEW/KRW', score: 0.5 }] });
    const rows = s.view().ranking.rows;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ rank: 1, market: 'BTC/KRW', score: 1.5, price: 100, volatility: 0.01, position: 0.5, trades1h: 5, regime: { '1h': 'bull' } });
    expect(rows[0]?.momentum10m).toBeCloseTo(Math.log(100 / 99) / 0.01);
    expect(rows[1]).toMatchObject({ rank: 2, market: 'NEW/KRW', price: null, regime: {} });
    expect(s.view().markets[0]).toBe('BTC/KRW');
  });

  it('keeps the newest orders and fills first, bounded', () => {
    const s = state();
    for (let i = 1; i <= 5; i++) s.onOrderEvent(fillEvent(T0 + i, `p${i}-b1`, 'buy', 100, i));
    s.onOrderEvent({ type: 'order.rejected', ts: T0 + 9, clientId: 'p9-b1', market: 'BTC/KRW', side: 'buy', reason: 'insufficient_funds', message: 'no money' });
    const v = s.view();
    expect(v.orders.map((o) => o.clientId)).toEqual(['p9-b1', 'p5-b1', 'p4-b1']);
    expect(v.orders[0]).toMatchObject({ status: 'rejected', detail: 'insufficient_funds: no money', price: null });
    expect(v.fills.map((f) => f.amount)).toEqual([5, 4, 3]);
  });

  it('follows positions from start through transitions to done, keeping recent ones', () => {
    const s = state();
    const t = (from: string, to: string, event: string, ts: number): TransitionView => ({ ts, from, to, event, detail: '', transitions: [`${from} · ${event} #0`] });
    s.onPositionStarted('p1', 'BTC/KRW', 'idle', T0);
    s.onPositionTransition('p1', 'BTC/KRW', t('idle', 'buying', 'decision.buy', T0 + 1));
    s.onPositionTransition('p1', 'BTC/KRW', t('buying', 'holding', 'order.fill', T0 + 2));
    s.setPositionDetails([{ positionId: 'p1', market: 'BTC/KRW', state: 'holding', amount: 2, entryPrice: 100, entryTs: T0 + 1, orderPrice: 100 }]);
    let p: PositionRowView | undefined = s.view().positions[0];
    expect(p).toMatchObject({ positionId: 'p1', state: 'holding', done: false, amount: 2, entryPrice: 100 });
    expect(p?.history.map((h) => h.event)).toEqual(['decision.buy', 'order.fill']);
    s.onPositionTransition('p1', 'BTC/KRW', t('holding', 'selling', 'decision.sell', T0 + 3));
    s.onPositionTransition('p1', 'BTC/KRW', t('selling', 'settled', 'order.fill', T0 + 4));
    s.onPositionDone('p1', { pnl: 5, return: 0.025, reason: 'take-profit' });
    // A transition of a position first seen mid-way starts it in the transition's source state.
    s.onPositionTransition('p2', 'ETH/KRW', t('buying', 'holding', 'order.fill', T0 + 5));
    s.onPositionStarted('p3', 'XRP/KRW', 'idle', T0 + 6);
    s.onPositionDone('p3');
    s.onPositionStarted('p4', 'SOL/KRW', 'idle', T0 + 7);
    s.onPositionDone('p4');
    const v = s.view();
    expect(v.positions.map((x) => `${x.positionId}:${x.state}:${x.done}`)).toEqual(['p2:holding:false', 'p4:idle:true', 'p3:idle:true']);
    p = v.positions.find((x) => x.positionId === 'p2');
    expect(p?.history).toHaveLength(1);
    expect(s.version).toBeGreaterThan(0);
  });

  it('describes the events behind transitions', () => {
    const o = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    expect(eventDetail(o.fill(T0, 1) as never)).toBe('p1-b1 +1 @ 100 (1/2)');
    expect(eventDetail({ type: 'decision.buy', price: 100, amount: 2 })).toBe('2 @ 100');
    expect(eventDetail({ type: 'order.queryResult', clientId: 'p1-b1', order: undefined })).toBe('p1-b1 not found');
  });

  it('gives a plain-JSON view with the hourly figures, equity, exposure and balances', () => {
    const tracker = new PerformanceTracker();
    const s = new DashboardState({ stats: tracker, quote: 'KRW' });
    for (const [ts, eq, inv] of [[T0, 1000, 0], [T0 + 3_600_000, 1100, 500]] as const) {
      tracker.onEquity(ts, eq, inv);
      s.onEquity(ts, eq, inv);
    }
    s.onFeatures({ ts: T0, snapshots: [snapshot('BTC/KRW', T0, 100, {})] });
    s.setBalances([{ currency: 'KRW', free: 600, locked: 0 }, { currency: 'BTC', free: 5, locked: 0 }, { currency: 'XYZ', free: 1, locked: 0 }]);
    const v = s.view();
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    expect(v.charts.equity).toEqual({ ts: [T0, T0 + 3_600_000], equity: [1000, 1100], invested: [0, 500] });
    expect(v.exposure).toEqual({ equity: 1100, invested: 500, fraction: 500 / 1100 });
    expect(v.charts.hourly.ts).toEqual([T0, T0 + 3_600_000]);
    expect(v.charts.hourly.winRate).toEqual([null, null]);
    expect(v.balances).toEqual([{ currency: 'KRW', free: 600, locked: 0, value: 600 }, { currency: 'BTC', free: 5, locked: 0, value: 500 }, { currency: 'XYZ', free: 1, locked: 0, value: null }]);
  });
});

describe('watchPositions', () => {
  it('reports the transitions of a bot child with the definition keys of the transitions taken', () => {
    const bot = createActor(botMachine, { input: { botId: 'b', dailyLossLimit: 0.5, maxDrawdown: 0.9, onStop: 'keep' } }).start();
    bot.send({ type: 'bot.start' });
    const log: string[] = [];
    const keys: string[] = [];
    const sub = watchPositions(bot, {
      onPositionStarted: (id, market, st) => log.push(`start ${id} ${market} ${st}`),
      onPositionTransition: (id, _m, t) => {
        log.push(`${id} ${t.from} -${t.event}-> ${t.to}`);
        keys.push(...t.transitions);
      },
      onPositionDone: (id, r) => log.push(`done ${id} ${r ? r.reason || 'result' : 'nothing bought'}`),
    }, eventDetail);
    bot.send({ type: 'position.open', positionId: 'p1', market: 'BTC/KRW', ackTimeoutMs: 5000, buyTimeoutMs: 0 });
    const send = (event: unknown): void => bot.send({ type: 'position.event', positionId: 'p1', event: event as never });
    send({ type: 'decision.buy', ts: T0, price: 100, amount: 2 });
    send({ type: 'clock.tick', ts: T0 + 1 }); // ignored: no transition
    const b = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    send(b.accepted(T0 + 2));
    send(b.fill(T0 + 3, 2));
    send({ type: 'decision.sell', ts: T0 + 4, price: 110, reason: 'take-profit' });
    const s = new ExchangeOrder('p1-s2', 'sell', 110, 2);
    send(s.fill(T0 + 5, 2));
    sub.unsubscribe();
    expect(log).toEqual([
      'start p1 BTC/KRW idle',
      'p1 idle -decision.buy-> buying',
      'p1 buying -order.accepted-> buying',
      'p1 buying -order.fill-> holding',
      'p1 holding -decision.sell-> selling',
      'p1 selling -order.fill-> settled',
      'done p1 take-profit',
    ]);
    const known = new Set(statechartOf(positionMachine).transitions.map((t) => t.key));
    expect(keys.every((k) => known.has(k))).toBe(true);
    expect(keys).toContain('buying · order.fill #0');
    bot.stop();
  });
});
