import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/index.js';
import { priceAbove, priceBelow } from '../../src/exchange/tick-math.js';
import {
  isOnTick,
  roundBuyPrice,
  roundSellPrice,
  upbitKrwRules,
  upbitKrwTick,
} from '../../src/exchange/upbit-rules.js';

/** The table of data/README.md, written out independently of the implementation. */
const BANDS: readonly { lo: number; hi: number; tick: number }[] = [
  { lo: 1_000_000, hi: Infinity, tick: 1000 },
  { lo: 500_000, hi: 1_000_000, tick: 500 },
  { lo: 100_000, hi: 500_000, tick: 100 },
  { lo: 50_000, hi: 100_000, tick: 50 },
  { lo: 10_000, hi: 50_000, tick: 10 },
  { lo: 5_000, hi: 10_000, tick: 5 },
  { lo: 1_000, hi: 5_000, tick: 1 },
  { lo: 100, hi: 1_000, tick: 1 },
  { lo: 10, hi: 100, tick: 0.1 },
  { lo: 1, hi: 10, tick: 0.01 },
  { lo: 0.1, hi: 1, tick: 0.001 },
  { lo: 0.01, hi: 0.1, tick: 0.0001 },
  { lo: 0.001, hi: 0.01, tick: 0.00001 },
  { lo: 0.0001, hi: 0.001, tick: 0.000001 },
  { lo: 0.00001, hi: 0.0001, tick: 0.0000001 },
  { lo: 0, hi: 0.00001, tick: 0.00000001 },
];

describe('upbitKrwTick', () => {
  it.each([
    [2_000_000, 1000],
    [1_000_000, 1000],
    [999_999, 500],
    [500_000, 500],
    [499_999, 100],
    [100_000, 100],
    [99_999, 50],
    [50_000, 50],
    [49_999, 10],
    [10_000, 10],
    [9_999, 5],
    [5_000, 5],
    [4_999, 1],
    [1_000, 1],
    [999, 1],
    [100, 1],
    [99.9, 0.1],
    [10, 0.1],
    [9.99, 0.01],
    [1, 0.01],
    [0.999, 0.001],
    [0.1, 0.001],
    [0.0999, 0.0001],
    [0.01, 0.0001],
    [0.00999, 0.00001],
    [0.001, 0.00001],
    [0.000999, 0.000001],
    [0.0001, 0.000001],
    [0.0000999, 0.0000001],
    [0.00001, 0.0000001],
    [0.00000999, 0.00000001],
  ])('price %s has tick %s', (price, tick) => {
    expect(upbitKrwTick(price, 'BTC/KRW')).toBe(tick);
  });

  it('USDT/KRW and USDC/KRW use 0.5 between 1,000 and 10,000 only', () => {
    for (const market of ['USDT/KRW', 'USDC/KRW', 'KRW-USDT']) {
      expect(upbitKrwTick(1_000, market)).toBe(0.5);
      expect(upbitKrwTick(1_450.5, market)).toBe(0.5);
      expect(upbitKrwTick(9_999.5, market)).toBe(0.5);
      expect(upbitKrwTick(10_000, market)).toBe(10);
      expect(upbitKrwTick(999, market)).toBe(1);
    }
    expect(upbitKrwTick(1_450, 'XRP/KRW')).toBe(1);
    // Both edges of the 0.5 band, rounding across them.
    expect(roundBuyPrice(999.9, 'USDT/KRW')).toBe(999);
    expect(roundSellPrice(999.2, 'USDT/KRW')).toBe(1_000);
    expect(roundBuyPrice(1_000.3, 'USDT/KRW')).toBe(1_000);
    expect(roundSellPrice(9_999.7, 'USDT/KRW')).toBe(10_000);
    expect(roundBuyPrice(10_004, 'USDT/KRW')).toBe(10_000);
    expect(priceBelow(upbitKrwRules('USDT/KRW'), 1_000)).toBe(999);
    expect(priceAbove(upbitKrwRules('USDT/KRW'), 9_999.5)).toBe(10_000);
    expect(priceBelow(upbitKrwRules('USDT/KRW'), 10_000)).toBe(9_999.5);
    expect(roundBuyPrice(1_450.7, 'USDT/KRW')).toBe(1_450.5);
    expect(roundSellPrice(1_450.2, 'USDT/KRW')).toBe(1_450.5);
    expect(isOnTick(1_450.5, 'USDT/KRW')).toBe(true);
    expect(isOnTick(1_450.5, 'BTC/KRW')).toBe(false);
  });

  it('refuses non-positive and non-finite prices with the bad value in the message', () => {
    expect(() => upbitKrwTick(0)).toThrow(/invalid price 0/);
    expect(() => upbitKrwTick(Number.NaN)).toThrow(/invalid price NaN/);
    expect(() => roundBuyPrice(-5)).toThrow(/invalid price -5/);
  });
});

describe('roundBuyPrice / roundSellPrice at every band edge', () => {
  for (const band of BANDS.filter((b) => b.lo > 0)) {
    const below = BANDS.find((b) => b.hi === band.lo);
    if (!below) throw new Error('table broken');
    it(`edge ${band.lo}: valid on both sides (ticks ${below.tick} | ${band.tick})`, () => {
      // The edge itself is valid and unchanged.
      expect(isOnTick(band.lo)).toBe(true);
      expect(roundBuyPrice(band.lo)).toBe(band.lo);
      expect(roundSellPrice(band.lo)).toBe(band.lo);
      // Just below the edge: buy rounds down inside the lower band; sell rounds up to the edge.
      const justBelow = band.lo - below.tick / 3;
      expect(roundBuyPrice(justBelow)).toBe(Number((band.lo - below.tick).toPrecision(12)));
      expect(roundSellPrice(justBelow)).toBe(band.lo);
      // Just above the edge: buy rounds down to the edge; sell rounds up one tick of the upper band.
      const justAbove = band.lo + band.tick / 3;
      expect(roundBuyPrice(justAbove)).toBe(band.lo);
      expect(roundSellPrice(justAbove)).toBe(Number((band.lo + band.tick).toPrecision(12)));
      // One tick either side of the edge is valid; half a tick is not.
      expect(isOnTick(band.lo - below.tick)).toBe(true);
      expect(isOnTick(band.lo + band.tick)).toBe(true);
      expect(isOnTick(band.lo + band.tick / 2)).toBe(false);
      expect(isOnTick(band.lo - below.tick / 2)).toBe(false);
      // Neighbouring valid prices across the edge.
      const rules = upbitKrwRules('BTC/KRW');
      expect(priceBelow(rules, band.lo)).toBe(Number((band.lo - below.tick).toPrecision(12)));
      expect(priceAbove(rules, Number((band.lo - below.tick).toPrecision(12)))).toBe(band.lo);
    });
  }

  it.each([
    [999_999.4, 999_500, 1_000_000],
    [999_999.999, 999_500, 1_000_000],
    [1_000_000.1, 1_000_000, 1_001_000],
    [1_234_567, 1_234_000, 1_235_000],
    [123_456, 123_400, 123_500],
    [12_345, 12_340, 12_350],
    [5_432, 5_430, 5_435],
    [1_234.5, 1_234, 1_235],
    [12.345, 12.3, 12.4],
    [1.2345, 1.23, 1.24],
    [0.12345, 0.123, 0.124],
    [0.0123456, 0.0123, 0.0124],
  ])('%s → buy %s, sell %s', (price, buy, sell) => {
    expect(roundBuyPrice(price)).toBe(buy);
    expect(roundSellPrice(price)).toBe(sell);
  });

  it('absorbs float noise: 0.1 + 0.2 is the valid price 0.3 and rounds to exactly 0.3', () => {
    expect(isOnTick(0.1 + 0.2)).toBe(true);
    expect(roundBuyPrice(0.1 + 0.2)).toBe(0.3);
    expect(roundSellPrice(0.1 + 0.2)).toBe(0.3);
    expect(String(roundSellPrice(1.1 * 3))).toBe('3.3');
    expect(String(roundBuyPrice(12.3 + 0.1))).toBe('12.4');
  });

  it('does not take real off-tick amounts for noise', () => {
    expect(isOnTick(1234.5000000001)).toBe(false);
    expect(isOnTick(1234.0000001)).toBe(false);
    expect(roundSellPrice(1234.0000001)).toBe(1235);
    expect(roundBuyPrice(1234.9999999)).toBe(1234);
  });
});

describe('rounding properties on random prices', () => {
  it('buy ≤ price ≤ sell, on tick, idempotent, less than one tick away, clean decimals', () => {
    const rng = new Random(20250731);
    for (let i = 0; i < 20_000; i++) {
      // Log-uniform over 1e-7 … 1e8 so every band gets hit.
      const price = 10 ** (rng.next() * 15 - 7);
      const buy = roundBuyPrice(price);
      const sell = roundSellPrice(price);
      const tick = upbitKrwTick(price);
      expect(buy).toBeLessThanOrEqual(price);
      expect(sell).toBeGreaterThanOrEqual(price);
      expect(price - buy).toBeLessThan(tick);
      expect(sell - price).toBeLessThan(tick);
      expect(isOnTick(buy)).toBe(true);
      expect(isOnTick(sell)).toBe(true);
      expect(roundBuyPrice(buy)).toBe(buy);
      expect(roundSellPrice(sell)).toBe(sell);
      expect(roundSellPrice(buy)).toBe(buy);
      // Serializes cleanly: at most as many decimals as the tick has (no 1234.5000000001).
      const tickDecimals = Math.max(0, -Math.floor(Math.log10(upbitKrwTick(buy)) + 1e-9));
      expect(String(buy)).toBe(String(Number(buy.toFixed(tickDecimals))));
      expect(String(sell)).toBe(String(Number(sell.toFixed(tickDecimals))));
      // Brute-force reference from the written-out table (random prices are never within 1e-9 tick of a multiple).
      const refTick = BANDS.find((b) => price >= b.lo && price < b.hi)!.tick;
      expect(tick).toBe(refTick);
      const refDecimals = Math.max(0, -Math.floor(Math.log10(refTick) + 1e-9));
      expect(buy).toBe(Number((Math.floor(price / refTick) * refTick).toFixed(refDecimals)));
    }
  });
});

describe('upbitKrwRules', () => {
  it('gives the 5,000 KRW minimum, the 0.05% fee and banded ticks', () => {
    const rules = upbitKrwRules('KRW-BTC');
    expect(rules).toMatchObject({ market: 'BTC/KRW', base: 'BTC', quote: 'KRW', minTotal: 5000, feeRate: 0.0005, amountStep: 0 });
    expect(rules.tickSize(150_000_000)).toBe(1000);
    expect(rules.tickSize(700)).toBe(1);
    expect(upbitKrwRules('USDT/KRW').tickSize(1_400)).toBe(0.5);
    expect(upbitKrwRules('ETH/KRW', { feeRate: 0.00139 }).feeRate).toBe(0.00139);
  });

  it('refuses non-KRW markets and bad fee rates', () => {
    expect(() => upbitKrwRules('BTC/USDT')).toThrow(/not a KRW market/);
    expect(() => upbitKrwRules('BTCKRW')).toThrow(/invalid market "BTCKRW"/);
    expect(() => upbitKrwRules('BTC/KRW', { feeRate: -1 })).toThrow(/invalid feeRate -1/);
  });
});
