import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/index.js';
import { defaultRulesSource, genericMarketRules, type CcxtMarketLike } from '../../src/exchange/market-rules.js';
import { isPriceOnTick, priceAbove, priceBelow, roundAmountDown, roundPrice } from '../../src/exchange/tick-math.js';

/** Shapes as ccxt 4.5 reports them for Binance spot (tick-size mode). */
const BTC_USDT: CcxtMarketLike = {
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  precision: { price: 0.01, amount: 0.00001 },
  limits: { cost: { min: 5 }, amount: { min: 0.00001 } },
  taker: 0.001,
  maker: 0.001,
};
const DOGE_USDT_DECIMALS: CcxtMarketLike = {
  symbol: 'DOGE/USDT',
  base: 'DOGE',
  quote: 'USDT',
  precision: { price: 5, amount: 0 },
  limits: { cost: { min: 1 } },
  taker: 0.00075,
};

describe('genericMarketRules', () => {
  it('reads tick-size precision', () => {
    const rules = genericMarketRules(BTC_USDT, { precisionMode: 'tickSize' });
    expect(rules).toMatchObject({ market: 'BTC/USDT', base: 'BTC', quote: 'USDT', amountStep: 0.00001, minTotal: 5, feeRate: 0.001 });
    expect(rules.tickSize(30_000)).toBe(0.01);
    expect(rules.tickSize(0.5)).toBe(0.01);
    expect(genericMarketRules(BTC_USDT, { precisionMode: 4 }).tickSize(1)).toBe(0.01);
  });

  it('reads decimal-places precision', () => {
    const rules = genericMarketRules(DOGE_USDT_DECIMALS, { precisionMode: 'decimalPlaces', feeRate: 0.002 });
    expect(rules.tickSize(0.3)).toBe(0.00001);
    expect(rules.amountStep).toBe(1);
    expect(rules.minTotal).toBe(1);
    expect(rules.feeRate).toBe(0.002);
    expect(genericMarketRules(DOGE_USDT_DECIMALS, { precisionMode: 2 }).feeRate).toBe(0.00075);
  });

  it.each([
    [BTC_USDT, 'tickSize', 30_123.456, 30_123.45, 30_123.46],
    [BTC_USDT, 'tickSize', 30_123.45, 30_123.45, 30_123.45],
    [BTC_USDT, 'tickSize', 0.1 + 0.2, 0.3, 0.3],
    [DOGE_USDT_DECIMALS, 'decimalPlaces', 0.0537891, 0.05378, 0.05379],
  ] as const)('%#: rounds %s down to %s and up to %s', (market, mode, price, down, up) => {
    const rules = genericMarketRules(market, { precisionMode: mode });
    expect(roundPrice(rules, price, 'down')).toBe(down);
    expect(roundPrice(rules, price, 'up')).toBe(up);
    expect(isPriceOnTick(rules, down)).toBe(true);
  });

  it('gives neighbouring prices and lot rounding', () => {
    const rules = genericMarketRules(BTC_USDT, { precisionMode: 'tickSize' });
    expect(priceBelow(rules, 100)).toBe(99.99);
    expect(priceAbove(rules, 100)).toBe(100.01);
    expect(priceBelow(rules, 0.01)).toBe(0);
    expect(roundAmountDown(0.123456789, rules.amountStep)).toBe(0.12345);
    expect(roundAmountDown(0.3, 0.1)).toBe(0.3);
    expect(roundAmountDown(1.5, 0)).toBe(1.5);
  });

  it('rounding properties hold for random prices and ticks', () => {
    const rng = new Random(7);
    const ticks = [1, 0.5, 0.25, 0.1, 0.05, 0.01, 0.001, 0.0001, 0.00001, 1e-8, 5, 10, 100];
    for (let i = 0; i < 20_000; i++) {
      const tick = ticks[rng.int(ticks.length)]!;
      const rules = genericMarketRules({ ...BTC_USDT, precision: { price: tick } }, { precisionMode: 'tickSize' });
      const price = tick * (1 + rng.next() * 100_000);
      const down = roundPrice(rules, price, 'down');
      const up = roundPrice(rules, price, 'up');
      expect(down).toBeLessThanOrEqual(price);
      expect(up).toBeGreaterThanOrEqual(price);
      expect(price - down).toBeLessThan(tick);
      expect(up - price).toBeLessThan(tick);
      expect(isPriceOnTick(rules, down) && isPriceOnTick(rules, up)).toBe(true);
      expect(roundPrice(rules, down, 'down')).toBe(down);
      expect(roundPrice(rules, up, 'up')).toBe(up);
      expect(roundPrice(rules, up, 'down')).toBe(up);
      // Exactly the decimal k × tick: survives a round trip through toFixed with the tick's decimals.
      const decimals = Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9) + (tick === 0.25 || tick === 0.05 ? 1 : 0));
      expect(Number(down.toFixed(decimals))).toBe(down);
    }
  });

  it('explains missing or bad metadata', () => {
    expect(() => genericMarketRules({ ...BTC_USDT, precision: {} }, { precisionMode: 'tickSize' })).toThrow(/BTC\/USDT has no price precision/);
    expect(() => genericMarketRules({ ...BTC_USDT, precision: { price: 2.5 } }, { precisionMode: 'decimalPlaces' })).toThrow(/invalid price precision of BTC\/USDT 2.5/);
    expect(() => genericMarketRules({ ...BTC_USDT, precision: { price: -1 } }, { precisionMode: 'tickSize' })).toThrow(/expected a tick size > 0/);
    expect(() => genericMarketRules({ ...BTC_USDT, taker: undefined }, { precisionMode: 'tickSize' })).toThrow(/missing fee rate/);
    expect(() => genericMarketRules(BTC_USDT, { precisionMode: 3 as never })).toThrow(/unsupported precision mode 3/);
  });
});

describe('defaultRulesSource', () => {
  it('uses Upbit rules for KRW markets, ccxt metadata for others, undefined for unknown', () => {
    const source = defaultRulesSource({ ccxtMarkets: { 'BTC/USDT': BTC_USDT } });
    expect(source('BTC/KRW')?.tickSize(1_000_000)).toBe(1000);
    expect(source('BTC/KRW')?.minTotal).toBe(5000);
    expect(source('BTC/USDT')?.tickSize(1)).toBe(0.01);
    expect(source('ETH/USDT')).toBeUndefined();
    expect(source('BTC/KRW')).toBe(source('BTC/KRW'));
  });
});
