/**
 * The market a candle file's name gives, as other tools write names: `BTC-USDT-5m.csv` (BASE-QUOTE, as
 * OKX, Coinbase and most exporters write pairs) was read as Upbit's QUOTE-BASE, every candle of it a
 * market USDT/BTC; lower-case names (`btc_usdt-5m.csv`, `krw-btc-5m.csv`) named no market at all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hintsFromFileName, readAll } from '../../src/market-data/index.js';

describe('markets from candle file names', () => {
  it('reads BASE-QUOTE names with money as the quote, keeps Upbit\'s QUOTE-BASE, in any case', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-name-markets-'));
    const start = Date.UTC(2018, 2, 1);
    const text = `timestamp,open,high,low,close,volume\n${[0, 1, 2].map((i) => `${start + i * 300_000},100,101,99,100.5,3`).join('\n')}\n`;
    const expected: [string, string][] = [
      ['BTC-USDT-5m.csv', 'BTC/USDT'],
      ['eth-usd-5m.csv', 'ETH/USD'],
      ['BTC-KRW-5m.csv', 'BTC/KRW'],
      ['btc_usdt-5m.csv', 'BTC/USDT'],
      ['sol_usdt_usdt-5m-futures.csv', 'SOL/USDT:USDT'],
      ['KRW-BTC-5m.csv', 'BTC/KRW'],
      ['krw-xrp-5m.csv', 'XRP/KRW'],
      ['KRW-USDT-5m.csv', 'USDT/KRW'],
      ['BTC-ETH-5m.csv', 'ETH/BTC'],
      ['USDT-BTC-5m.csv', 'BTC/USDT'],
    ];
    for (const [name, market] of expected) {
      writeFileSync(join(dir, name), text);
      const { events } = await readAll([join(dir, name)]);
      expect(new Set(events.map((e) => e.market)), name).toEqual(new Set([market]));
    }
  });

  it('names no market rather than a wrong one', () => {
    // An exchange's name before the pair, a contract, a lower-case recorder name, a date's digits.
    expect(hintsFromFileName('coinbase-BTC-USD-1h.csv').market).toBeUndefined();
    expect(hintsFromFileName('BTC-PERP-1h.csv').market).toBeUndefined();
    expect(hintsFromFileName('usdm_btcusdt_20240808.gz').market).toBe('BTC/USDT:USDT');
    expect(hintsFromFileName('binance-futures_trades_2020-02-22_BTCUSDT.csv.gz').market).toBe('BTC/USDT:USDT');
  });
});
