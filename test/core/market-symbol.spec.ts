import { describe, expect, it } from 'vitest';
import { baseOf, quoteOf } from '../../src/core/index.js';

/** The one reading of a market symbol's currencies that the balance view, the fee and the reports share. */
describe('baseOf / quoteOf', () => {
  it('read a spot symbol', () => {
    expect([baseOf('XRP/USDT'), quoteOf('XRP/USDT')]).toEqual(['XRP', 'USDT']);
    expect([baseOf('BTC/KRW'), quoteOf('BTC/KRW')]).toEqual(['BTC', 'KRW']);
  });

  it('read ccxt’s BASE/QUOTE:SETTLE form without taking the settle currency into the quote', () => {
    // The unified dialect's fallback (no market loaded) read the quote as `USDT:USDT`: a fee in USDT then counted as none.
    expect([baseOf('BTC/USDT:USDT'), quoteOf('BTC/USDT:USDT')]).toEqual(['BTC', 'USDT']);
    expect([baseOf('ETH/USD:ETH-240628'), quoteOf('ETH/USD:ETH-240628')]).toEqual(['ETH', 'USD']);
  });

  it('take a symbol without a slash whole as its base, with no quote', () => {
    // `slice(0, indexOf('/'))` gave `BTCUSD` for `BTCUSDT`: the balance view then moved a currency that does not exist.
    expect([baseOf('BTCUSDT'), quoteOf('BTCUSDT')]).toEqual(['BTCUSDT', '']);
  });
});
