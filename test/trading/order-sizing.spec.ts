import { describe, expect, it } from 'vitest';
import { Random, type MarketRules } from '../../src/core/index.js';
import { isPriceOnTick, upbitKrwRules } from '../../src/exchange/index.js';
import { drawdownScale, sizeOrders, type Candidate, type SizingLimits } from '../../src/trading/order-sizing.js';

const LIMITS: SizingLimits = { mode: 'equal', maxPositions: 5, maxPerCoin: 0.2, cashReserve: 0.05 };
const rules = (market: string): MarketRules | undefined => (market.endsWith('/KRW') ? upbitKrwRules(market) : undefined);
const candidate = (market: string, price: number, score = 1, volatility = 0.01): Candidate => ({ market, price, score, volatility });

describe('sizeOrders', () => {
  it('splits the cash above the reserve equally over the free slots, best score first, price down to the tick', () => {
    const sizing = sizeOrders({
      candidates: [candidate('XRP/KRW', 3123.7, 1), candidate('BTC/KRW', 95_012_345, 3), candidate('ETH/KRW', 4_501_234, 2)],
      cash: 1_000_000,
      equity: 1_000_000,
      openPositions: 3,
      limits: LIMITS,
      rules,
    });
    // Two free slots: BTC and ETH; XRP is skipped for want of a slot.
    expect(sizing.orders.map((o) => o.market)).toEqual(['BTC/KRW', 'ETH/KRW']);
    expect(sizing.skipped).toEqual([{ market: 'XRP/KRW', reason: 'no free position slot' }]);
    const [btc, eth] = sizing.orders;
    expect(btc?.price).toBe(95_012_000); // tick 1,000 above 1,000,000 KRW, rounded down
    expect(eth?.price).toBe(4_501_000);
    // Each share is min((1,000,000 − 50,000) / 2, 0.2 × 1,000,000) = 200,000 including the 0.05 % fee.
    for (const o of sizing.orders) {
      const total = o.price * o.amount * 1.0005;
      expect(total).toBeLessThanOrEqual(200_000);
      expect(total).toBeGreaterThan(200_000 - o.price * 1e-8 * 1.0005 - 1e-6);
    }
  });

  it('opens nothing in a market the exchange has halted, and gives its slot to one that trades', () => {
    const halted = (market: string): MarketRules | undefined => {
      const r = rules(market);
      return r && market === 'BTC/KRW' ? { ...r, halted: 'BREAK' } : r;
    };
    const sizing = sizeOrders({ candidates: [candidate('BTC/KRW', 95_000_000, 3), candidate('ETH/KRW', 4_500_000, 2), candidate('XRP/KRW', 3_000, 1)], cash: 1_000_000, equity: 1_000_000, openPositions: 3, limits: LIMITS, rules: halted });
    expect(sizing.orders.map((o) => o.market)).toEqual(['ETH/KRW', 'XRP/KRW']);
    expect(sizing.skipped).toEqual([{ market: 'BTC/KRW', reason: 'market not trading (BREAK)' }]);
  });

  it("a buy's own fraction (the edge gate's stake) caps its share below maxPerCoin, never above", () => {
    const base = { cash: 1_000_000, equity: 1_000_000, openPositions: 0, limits: LIMITS, rules };
    const [small, capped] = sizeOrders({ ...base, candidates: [{ ...candidate('BTC/KRW', 95_000_000, 2), fraction: 0.05 }, { ...candidate('ETH/KRW', 4_500_000, 1), fraction: 0.9 }] }).orders;
    expect((small?.price ?? 0) * (small?.amount ?? 0) * 1.0005).toBeLessThanOrEqual(50_000);
    expect((small?.price ?? 0) * (small?.amount ?? 0) * 1.0005).toBeGreaterThan(49_000);
    // 0.9 asked, maxPerCoin 0.2 allowed.
    expect((capped?.price ?? 0) * (capped?.amount ?? 0) * 1.0005).toBeLessThanOrEqual(200_000);
    expect((capped?.price ?? 0) * (capped?.amount ?? 0) * 1.0005).toBeGreaterThan(199_000);
  });

  it('weights by score or by inverse volatility when told so', () => {
    const candidates = [candidate('A/KRW', 1000, 3, 0.01), candidate('B/KRW', 1000, 1, 0.03)];
    const base = { candidates, cash: 100_000, equity: 100_000, openPositions: 0, rules };
    const byScore = sizeOrders({ ...base, limits: { ...LIMITS, maxPerCoin: 1, cashReserve: 0, mode: 'score' } }).orders;
    const byVol = sizeOrders({ ...base, limits: { ...LIMITS, maxPerCoin: 1, cashReserve: 0, mode: 'volatility' } }).orders;
    expect((byScore[0]?.amount ?? 0) / (byScore[1]?.amount ?? 1)).toBeCloseTo(3, 3);
    expect((byVol[0]?.amount ?? 0) / (byVol[1]?.amount ?? 1)).toBeCloseTo(3, 3);
  });

  it('skips a share under the exchange minimum instead of rounding it up, and unknown markets', () => {
    const sizing = sizeOrders({ candidates: [candidate('BTC/KRW', 95_000_000), candidate('NOPE/USDT', 1)], cash: 8_000, equity: 8_000, openPositions: 0, limits: { ...LIMITS, cashReserve: 0, maxPerCoin: 1 }, rules });
    expect(sizing.orders).toEqual([]);
    expect(sizing.skipped).toEqual([
      { market: 'BTC/KRW', reason: 'under the minimum order (5000)' },
      { market: 'NOPE/USDT', reason: 'unknown market' },
    ]);
  });

  it('skips a coin whose price fell under its market\'s tick instead of failing the whole batch', () => {
    // An exchange's fixed tick (Binance's 0.0001) and a coin that collapsed to 0.00005: nothing can be bid.
    const fixed = (market: string): MarketRules => ({ market, base: market.slice(0, market.indexOf('/')), quote: 'USDT', tickSize: () => 0.0001, amountStep: 1e-8, minTotal: 10, feeRate: 0.001 });
    const sizing = sizeOrders({ candidates: [candidate('LUNA/USDT', 0.00005, 2), candidate('ETH/USDT', 1234.56789, 1)], cash: 10_000, equity: 10_000, openPositions: 0, limits: LIMITS, rules: fixed });
    expect(sizing.orders.map((o) => [o.market, o.price])).toEqual([['ETH/USDT', 1234.5678]]);
    expect(sizing.skipped).toEqual([{ market: 'LUNA/USDT', reason: 'no valid price (0.00005 rounds to 0 at the tick)' }]);
  });

  it('never spends more than the spendable cash or the per-coin cap, on random inputs (1,000 cases)', () => {
    const random = new Random(7);
    const names = ['BTC', 'ETH', 'XRP', 'DOGE', 'SOL', 'ADA', 'TRX', 'SHIB'];
    for (let k = 0; k < 1000; k++) {
      const n = 1 + random.int(names.length);
      const candidates = names.slice(0, n).map((b) => candidate(`${b}/KRW`, 10 ** (random.next() * 8 - 1), random.next() * 5, random.next() * 0.05));
      const equity = 10 ** (3 + random.next() * 5);
      const cash = equity * random.next();
      const limits: SizingLimits = { mode: (['equal', 'score', 'volatility'] as const)[random.int(3)] as SizingLimits['mode'], maxPositions: 1 + random.int(8), maxPerCoin: random.next(), cashReserve: random.next() * 0.3 };
      const openPositions = random.int(4);
      const { orders } = sizeOrders({ candidates, cash, equity, openPositions, limits, rules });
      const spendable = Math.max(0, cash - limits.cashReserve * equity);
      let spent = 0;
      for (const o of orders) {
        const r = rules(o.market) as MarketRules;
        const c = candidates.find((x) => x.market === o.market) as Candidate;
        const total = o.price * o.amount * (1 + r.feeRate);
        spent += total;
        expect(isPriceOnTick(r, o.price)).toBe(true);
        expect(o.price).toBeLessThanOrEqual(c.price);
        expect(o.price * o.amount).toBeGreaterThanOrEqual(r.minTotal);
        expect(total).toBeLessThanOrEqual(limits.maxPerCoin * equity * (1 + 1e-12));
        // On Upbit's 8 decimals, up to the float spacing at that size.
        const units = o.amount * 1e8;
        expect(Math.abs(units - Math.round(units))).toBeLessThanOrEqual(Math.max(1e-6, units * 4 * Number.EPSILON));
      }
      expect(spent).toBeLessThanOrEqual(spendable * (1 + 1e-12));
      expect(orders.length).toBeLessThanOrEqual(Math.max(0, limits.maxPositions - openPositions));
    }
  });

  it('a stake scale (drawdownScaling) shrinks every capped share by that factor, and only shrinks', () => {
    const base = { cash: 1_000_000, equity: 1_000_000, openPositions: 0, limits: LIMITS, rules };
    const candidates = [{ ...candidate('BTC/KRW', 95_000_000, 2), fraction: 0.1 }, candidate('ETH/KRW', 4_500_000, 1)];
    const spent = (stakeScale: number): number[] => sizeOrders({ ...base, candidates, stakeScale }).orders.map((o) => o.price * o.amount * 1.0005);
    const [btc, eth] = spent(0.25);
    // 0.25 × 0.1 and 0.25 × maxPerCoin 0.2 of the equity, rounded down to the lot.
    expect(btc).toBeLessThanOrEqual(25_000);
    expect(btc).toBeGreaterThan(25_000 - 95_000_000 * 1e-8 * 1.0005 - 1e-6);
    expect(eth).toBeLessThanOrEqual(50_000);
    expect(eth).toBeGreaterThan(49_990);
    // No scale: the shares of before; scale 0: nothing.
    expect(sizeOrders({ ...base, candidates }).orders).toEqual(sizeOrders({ ...base, candidates, stakeScale: 1 }).orders);
    expect(sizeOrders({ ...base, candidates, stakeScale: 0 }).orders).toEqual([]);
  });
});

describe('drawdownScale', () => {
  it('is 1 at the peak, falls linearly with the drawdown and is 0 from the kill switch on', () => {
    expect(drawdownScale(100, 100, 0.2)).toBe(1);
    expect(drawdownScale(120, 100, 0.2)).toBe(1);
    expect(drawdownScale(95, 100, 0.2)).toBeCloseTo(0.75, 12);
    expect(drawdownScale(90, 100, 0.2)).toBeCloseTo(0.5, 12);
    expect(drawdownScale(80, 100, 0.2)).toBe(0);
    expect(drawdownScale(50, 100, 0.2)).toBe(0);
  });

  it('leaves stakes alone without a peak yet or without a drawdown limit', () => {
    expect(drawdownScale(100, 0, 0.2)).toBe(1);
    expect(drawdownScale(50, 100, 0)).toBe(1);
  });
});
