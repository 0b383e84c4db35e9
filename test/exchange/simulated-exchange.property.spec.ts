import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Random, type CandleEvent, type LimitOrderRequest, type OrderEvent, type RejectReason } from '../../src/core/index.js';
import { genericMarketRules } from '../../src/exchange/market-rules.js';
import { SimulatedExchange, type LatencyOptions } from '../../src/exchange/simulated/simulated-exchange.js';
import type { FillModelOptions } from '../../src/exchange/simulated/fill-model.js';
import { roundAmountDown, roundPrice } from '../../src/exchange/tick-math.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const MARKET = 'BTC/USDT';
const RULES = genericMarketRules(
  { symbol: MARKET, base: 'BTC', quote: 'USDT', precision: { price: 0.01, amount: 0.00001 }, limits: { cost: { min: 10 } }, taker: 0.001 },
  { precisionMode: 'tickSize' },
);
const TICK = 0.01;
const FEE = RULES.feeRate;
const Q0 = 100_000;
const B0 = 1;

/** Minimal reader of the freqtrade candle CSV (`timestamp,open,high,low,close,volume`, open time). */
function readCandles(): { candles: CandleEvent[]; malformed: number } {
  const text = gunzipSync(readFileSync(sharedData('candles/binance-spot-2021-5m/BTC_USDT-5m.csv.gz'))).toString('utf8');
  const candles: CandleEvent[] = [];
  let malformed = 0;
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [openTime, open, high, low, close, volume] = line.split(',').map(Number);
    if ([openTime, open, high, low, close, volume].some((x) => x === undefined || !Number.isFinite(x))) {
      malformed++;
      continue;
    }
    candles.push({ kind: 'candle', market: MARKET, ts: openTime! + 300_000, openTime: openTime!, open: open!, high: high!, low: low!, close: close!, volume: volume! });
  }
  return { candles, malformed };
}

interface RefOrder {
  readonly id: string;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly amount: number;
  filled: number;
  status: 'open' | 'filled' | 'cancelled';
}

interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly latency: Partial<LatencyOptions>;
  readonly fillModel: Partial<FillModelOptions>;
  /** With every report latency 0, the event-built ledger is in step with the exchange after every call. */
  readonly inStep: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'no latency, through fills', seed: 1, latency: {}, fillModel: { participation: 0.001 }, inStep: true },
  {
    name: 'submit and slow cancel latency (fills race cancels)',
    seed: 2,
    latency: { submitMs: 1_000, cancelMs: 420_000 },
    fillModel: { participation: 0.0005 },
    inStep: true,
  },
  {
    name: 'delayed reports, touch fills, marketable orders rest',
    seed: 3,
    latency: { submitMs: 2_000, cancelMs: 1_000, ackReportMs: 30_000, fillReportMs: 400_000, cancelReportMs: 10_000 },
    fillModel: { mode: 'touch', participation: 0.002, marketableOnArrival: 'rest' },
    inStep: false,
  },
];

describe.skipIf(skipWithoutSharedData())('simulated exchange on real BTC/USDT 5m candles (randomized)', () => {
  const { candles, malformed } = readCandles();

  it('parses the candle file', () => {
    expect(malformed).toBe(0);
    expect(candles.length).toBeGreaterThan(25_000);
  });

  it.each(SCENARIOS)('$name: accounting holds after every event', async (scenario) => {
    const rng = new Random(scenario.seed);
    const ex = new SimulatedExchange({ rules: new Map([[MARKET, RULES]]), balances: { USDT: Q0, BTC: B0 }, latency: scenario.latency, fillModel: scenario.fillModel });
    const mode = scenario.fillModel.mode ?? 'through';
    const participation = scenario.fillModel.participation ?? 1;

    // ---- reference ledger, built only from delivered events ----
    const orders = new Map<string, RefOrder>();
    const openRef = new Set<RefOrder>();
    let quote = Q0;
    let base = B0;
    let holdingsAtCost = 0; // Σ buy cost − Σ sell cost, before fees
    let fees = 0;
    const stats = { orders: 0, fills: 0, partial: 0, cancelled: 0, rejects: new Map<RejectReason, number>(), cancelRequests: 0, cancelsLostToFill: 0, retries: 0 };
    const cancelRequested = new Set<string>();
    const fillsByTs = new Map<number, { buy: number; sell: number }>();
    const lastCandleAtOrBefore = (ts: number): number => {
      let lo = 0;
      let hi = candles.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (candles[mid]!.ts <= ts) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    let lastEventTs = -Infinity;

    ex.orderEvents$.subscribe((e: OrderEvent) => {
      expect(e.ts).toBeGreaterThanOrEqual(lastEventTs);
      lastEventTs = e.ts;
      if (e.type === 'order.rejected') {
        stats.rejects.set(e.reason, (stats.rejects.get(e.reason) ?? 0) + 1);
        return;
      }
      let ref = orders.get(e.order.id);
      if (!ref) {
        // Only a delayed ack lets a fill or cancel come first.
        if (e.type !== 'order.accepted') expect(scenario.inStep).toBe(false);
        ref = { id: e.order.id, side: e.order.side, price: e.order.price, amount: e.order.amount, filled: 0, status: 'open' };
        orders.set(ref.id, ref);
        openRef.add(ref);
      }
      // The simulated exchange knows every fee at the fill: it never corrects one.
      if (e.type === 'order.accepted' || e.type === 'order.feeCorrected') return;
      expect(ref.status === 'open' || e.type === 'order.fill').toBe(true);
      if (e.type === 'order.cancelled') {
        expect(ref.status).toBe('open');
        ref.status = 'cancelled';
        openRef.delete(ref);
        stats.cancelled++;
        if (scenario.inStep) expect(e.order.filled).toBeCloseTo(ref.filled, 9);
        return;
      }
      // A fill: at the limit price, positive, never beyond the order amount, through the candle range.
      const { fill } = e;
      expect(ref.status === 'open' || !scenario.inStep).toBe(true);
      expect(fill.price).toBe(ref.price);
      expect(fill.amount).toBeGreaterThan(0);
      // The fill took volume from the last candle closed by its match time, or the one before.
      const at = lastCandleAtOrBefore(fill.ts);
      const candlesSeen = [candles[at - 1], candles[at]].filter((c): c is CandleEvent => c !== undefined);
      const reach = mode === 'through' ? TICK : 0;
      if (fill.side === 'buy') expect(Math.min(...candlesSeen.map((c) => c.low))).toBeLessThanOrEqual(fill.price - reach + 1e-9);
      else expect(Math.max(...candlesSeen.map((c) => c.high))).toBeGreaterThanOrEqual(fill.price + reach - 1e-9);
      expect(fill.fee).toBeCloseTo(fill.price * fill.amount * FEE, 8);
      ref.filled += fill.amount;
      expect(ref.filled).toBeLessThanOrEqual(ref.amount + 1e-12);
      expect(e.order.filled).toBeCloseTo(ref.filled, 9);
      if (e.order.status === 'filled') {
        expect(ref.filled).toBeCloseTo(ref.amount, 9);
        ref.status = 'filled';
        openRef.delete(ref);
        if (cancelRequested.has(ref.id)) stats.cancelsLostToFill++;
      } else {
        stats.partial++;
      }
      stats.fills++;
      const cost = fill.price * fill.amount;
      fees += fill.fee;
      if (fill.side === 'buy') {
        quote -= cost + fill.fee;
        base += fill.amount;
        holdingsAtCost += cost;
      } else {
        quote += cost - fill.fee;
        base -= fill.amount;
        holdingsAtCost -= cost;
      }
      const bucket = fillsByTs.get(fill.ts) ?? { buy: 0, sell: 0 };
      bucket[fill.side] += fill.amount;
      fillsByTs.set(fill.ts, bucket);
    });

    /** Fails with both numbers named; plain comparisons keep thousands of checks per second cheap. */
    const near = (what: string, actual: number, expected: number, tolerance: number): void => {
      if (!(Math.abs(actual - expected) <= tolerance)) expect({ what, actual }).toEqual({ what, actual: expected });
    };

    /** The checks of the brief, after every call that can change the exchange. */
    function check(): void {
      const q = ex.getBalance('USDT');
      const b = ex.getBalance('BTC');
      if (!(q.free >= 0 && q.locked >= 0 && b.free >= 0 && b.locked >= 0)) expect({ q, b }).toBe('never negative');
      // The balance view (kept between changes) always agrees with balances computed afresh.
      const all = ex.getBalances();
      if (all.length !== 2 || all[0]?.free !== b.free || all[0]?.locked !== b.locked || all[1]?.free !== q.free || all[1]?.locked !== q.locked) expect(all).toEqual([b, q]);
      if (!scenario.inStep) return;
      // Conservation: cash (free + locked) + holdings at cost + fees paid = initial cash, to float noise.
      near('cash + locked + holdings at cost + fees', q.free + q.locked + holdingsAtCost + fees, Q0, 1e-6);
      near('USDT total vs event ledger', q.free + q.locked, quote, 1e-6);
      near('BTC total vs event ledger', b.free + b.locked, base, 1e-9);
      // Locks are exactly what the open orders need.
      let lockedQuote = 0;
      let lockedBase = 0;
      const open: string[] = [];
      for (const o of openRef) {
        open.push(o.id);
        if (o.side === 'buy') lockedQuote += o.price * (o.amount - o.filled) * (1 + FEE);
        else lockedBase += o.amount - o.filled;
      }
      near('USDT locked', q.locked, lockedQuote, 1e-6);
      near('BTC locked', b.locked, lockedBase, 1e-9);
      const exOpen = ex.getOpenOrders().map((o) => o.id);
      if (exOpen.join() !== open.join()) expect(exOpen).toEqual(open);
    }

    const requests: LimitOrderRequest[] = [];
    const ids: string[] = [];
    let nextClient = 1;
    const submit = async (request: LimitOrderRequest, expected?: RejectReason) => {
      requests.push(request);
      stats.orders++;
      const before = stats.rejects.get(expected ?? 'exchange_error') ?? 0;
      const order = await ex.createLimitOrder(request);
      if (order) ids.push(order.id);
      if (expected && scenario.latency.submitMs === undefined) {
        expect(order).toBeUndefined();
        expect({ request, count: stats.rejects.get(expected) }).toEqual({ request, count: before + 1 });
      }
    };

    for (const c of candles) {
      ex.onMarketEvent(c);
      check();
      const q = ex.getBalance('USDT').free;
      const b = ex.getBalance('BTC').free;
      const r = rng.next();
      if (r < 0.45) {
        const price = roundPrice(RULES, c.close * (1 - rng.next() * 0.015), 'down');
        const amount = roundAmountDown((q * rng.next() * 0.2) / price, RULES.amountStep);
        if (price * amount >= 10) await submit({ clientId: `c${nextClient++}`, market: MARKET, side: 'buy', price, amount });
      } else if (r < 0.8) {
        const price = roundPrice(RULES, c.close * (1 + rng.next() * 0.015), 'up');
        const amount = roundAmountDown(b * rng.next() * 0.5, RULES.amountStep);
        if (price * amount >= 10) await submit({ clientId: `c${nextClient++}`, market: MARKET, side: 'sell', price, amount });
      } else if (r < 0.83) {
        // Deliberately bad orders: each must be refused with its reason and change nothing.
        const kind = rng.int(4);
        const price = roundPrice(RULES, c.close, 'down');
        const id = `c${nextClient++}`;
        if (kind === 0) await submit({ clientId: id, market: MARKET, side: 'buy', price: price + 0.005, amount: 0.01 }, 'invalid_price');
        else if (kind === 1) await submit({ clientId: id, market: MARKET, side: 'buy', price, amount: 0.00001 }, 'under_minimum');
        else if (kind === 2) await submit({ clientId: id, market: 'ETH/USDT', side: 'buy', price, amount: 0.01 }, 'unknown_market');
        else await submit({ clientId: id, market: MARKET, side: 'sell', price, amount: roundAmountDown(b + 1, RULES.amountStep) }, 'insufficient_funds');
      } else if (r < 0.85 && requests.length > 0) {
        // Idempotent retry: a client id the exchange knows never makes a second order; a refused one may be retried.
        const again = requests[rng.int(requests.length)]!;
        const known = ex.getOrder({ clientId: again.clientId });
        const before = ex.getOpenOrders().length;
        const order = await ex.createLimitOrder(again);
        stats.retries++;
        if (known) {
          expect(order?.id).toBe(known.id);
          expect(ex.getOpenOrders().length).toBe(before);
        } else if (order) {
          ids.push(order.id);
        }
      }
      check();
      // Cancels, sometimes of orders that are already filled or cancelled.
      if (ids.length > 0 && rng.next() < 0.35) {
        const pick = rng.next() < 0.7 ? ex.getOpenOrders()[0]?.id : ids[rng.int(ids.length)];
        if (pick) {
          cancelRequested.add(pick);
          stats.cancelRequests++;
          await ex.cancelOrder(pick);
          check();
        }
      }
    }
    ex.advanceTo(candles.at(-1)!.ts + 10 * 60_000);
    check();

    // Everything was delivered: the event ledger and the exchange agree in every scenario.
    const q = ex.getBalance('USDT');
    const b = ex.getBalance('BTC');
    expect(q.free + q.locked + holdingsAtCost + fees).toBeCloseTo(Q0, 6);
    expect(b.free + b.locked).toBeCloseTo(base, 9);
    expect(ex.feesPaid()['USDT']).toBeCloseTo(fees, 6);
    // Every order ends filled, cancelled or open, consistently with its events.
    for (const id of new Set(ids)) {
      const order = ex.getOrder({ id })!;
      const ref = orders.get(id);
      if (order.status === 'rejected') {
        expect(ref).toBeUndefined();
        continue;
      }
      expect(ref?.status).toBe(order.status);
      expect(order.filled).toBeCloseTo(ref!.filled, 9);
      if (order.status === 'filled') expect(order.filled).toBe(order.amount);
      else expect(order.filled).toBeLessThan(order.amount);
      if (order.status === 'open') expect(ex.getOpenOrders().some((o) => o.id === id)).toBe(true);
    }
    // Volume bound: every fill takes volume from the candle at its time or the one before.
    const perWindow = new Map<number, { buy: number; sell: number }>();
    for (const [ts, amounts] of fillsByTs) {
      const last = lastCandleAtOrBefore(ts);
      const i = candles[last]!.ts === ts ? last : last + 1; // window (candles[i-1].ts, candles[i].ts]
      const w = perWindow.get(i) ?? { buy: 0, sell: 0 };
      w.buy += amounts.buy;
      w.sell += amounts.sell;
      perWindow.set(i, w);
    }
    for (const [i, w] of perWindow) {
      const cap = participation * ((candles[i - 1]?.volume ?? 0) + (candles[i]?.volume ?? 0)) + 1e-12;
      if (w.buy > cap || w.sell > cap) expect({ window: i, ...w, cap }).toBeUndefined();
    }
    // The run exercised what it claims to.
    if (process.env['COINRX_PRINT_STATS']) console.log(scenario.name, { ...stats, rejects: Object.fromEntries(stats.rejects), fees, holdingsAtCost });
    expect(stats.orders).toBeGreaterThan(15_000);
    expect(stats.fills).toBeGreaterThan(3_000);
    expect(stats.partial).toBeGreaterThan(100);
    expect(stats.cancelled).toBeGreaterThan(1_000);
    expect(stats.rejects.get('invalid_price')).toBeGreaterThan(50);
    expect(stats.rejects.get('under_minimum')).toBeGreaterThan(50);
    expect(stats.rejects.get('unknown_market')).toBeGreaterThan(50);
    expect(stats.rejects.get('insufficient_funds')).toBeGreaterThan(50);
    if (scenario.latency.cancelMs === 420_000) expect(stats.cancelsLostToFill).toBeGreaterThan(10);
  });
});
