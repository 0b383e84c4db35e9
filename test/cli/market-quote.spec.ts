import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { configForQuote, parseConfig } from '../../src/config.js';
import { createBacktest, runBacktest } from '../../src/engine/backtest.js';
import { parseMarketName } from '../../src/market-data/symbols.js';
import type { MarketEvent } from '../../src/core/index.js';
import { captureIo } from '../helpers/capture-io.js';

/** One market of 5m candles over a day, in a new folder, named so the reader knows its market. */
function candles(pair: string, price: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-quote-'));
  const start = Date.UTC(2024, 0, 1);
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < 288; i++) {
    const p = price * (1 + 0.03 * Math.sin(i / 20));
    rows.push(`${start + i * 300_000},${p},${p * 1.001},${p * 0.999},${p},${100 + (i % 7)}`);
  }
  writeFileSync(join(dir, `${pair}-5m.csv`), `${rows.join('\n')}\n`);
  return dir;
}

interface Summary {
  quote: string;
  statistics: { initialEquity: number };
  config: { exchange: { quote: string }; simulator: { initialBalance: number } };
}

async function backtest(data: string, ...flags: string[]): Promise<{ code: number; err: string; summary: Summary | undefined }> {
  const out = mkdtempSync(join(tmpdir(), 'coinrx-quote-out-'));
  const c = captureIo();
  const code = await main(['backtest', '--data', data, '--out', out, ...flags], c.io);
  let summary: Summary | undefined;
  try {
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  } catch {
    summary = undefined;
  }
  return { code, err: c.err(), summary };
}

describe('markets, quotes and the starting balance', () => {
  it("starts from the traded quote's default balance, prints it, and writes the configuration that ran", async () => {
    const usdt = await backtest(candles('AAA_USDT', 2));
    expect(usdt.code).toBe(0);
    expect(usdt.err).toMatch(/^backtest: trading USDT markets from 10,000 USDT \(the USDT default; set simulator\.initialBalance to change it\)$/m);
    expect(usdt.summary?.statistics.initialEquity).toBe(10_000);
    expect(usdt.summary?.config.exchange.quote).toBe('USDT');
    expect(usdt.summary?.config.simulator.initialBalance).toBe(10_000);
    const btc = await backtest(candles('ETH_BTC', 0.05));
    expect(btc.err).toMatch(/trading BTC markets from 0\.25 BTC \(the BTC default/);
    expect(btc.summary?.statistics.initialEquity).toBe(0.25);
    // A balance the user gave is kept whatever the quote.
    const given = await backtest(candles('AAA_USDT', 2), '--set', 'simulator.initialBalance=2500');
    expect(given.err).toMatch(/trading USDT markets from 2,500 USDT \(simulator\.initialBalance\)/);
    expect(given.summary?.statistics.initialEquity).toBe(2_500);
  });

  it('resolves the balance for the quote in every builder, and asks for one where no default exists', () => {
    const defaults = parseConfig({});
    expect(defaults.simulator.initialBalance).toBe(10_000_000);
    expect(createBacktest(defaults, 'USDT').exchange.getBalances()).toEqual([{ currency: 'USDT', free: 10_000, locked: 0 }]);
    expect(configForQuote(parseConfig({ simulator: { initialBalance: 123 } }), 'ETH').simulator.initialBalance).toBe(123);
    expect(() => configForQuote(defaults, 'XYZ')).toThrow(/simulator\.initialBalance: no default starting balance for XYZ/);
    expect(() => parseConfig({ exchange: { quote: 'XYZ' } })).toThrow(/simulator\.initialBalance: no default starting balance for XYZ/);
    expect(parseConfig({ exchange: { quote: 'ETH' } }).simulator.initialBalance).toBe(5);
  });

  it('refuses a market without a slash and a quote the data does not have, each in one line', async () => {
    const bare = await backtest(candles('AAA_USDT', 2), '--market', 'BTCUSDT');
    expect(bare.code).toBe(2);
    expect(bare.err).toBe('coinrx backtest: --market: "BTCUSDT" is not a market: expected BASE/QUOTE such as BTC/USDT (did you mean BTC/USDT?). Run "coinrx backtest --help".\n');
    const eur = await backtest(candles('AAA_USDT', 2), '--quote', 'EUR');
    expect(eur.code).toBe(1);
    expect(eur.err).toBe('coinrx backtest: --quote EUR: the data has no EUR market (its markets are quoted in USDT)\n');
    expect(eur.summary).toBeUndefined();
    expect(parseMarketName('KRW-BTC')).toEqual({ reason: '"KRW-BTC" is not a market: expected BASE/QUOTE such as BTC/USDT (did you mean BTC/KRW?)' });
    expect(parseMarketName('eth/btc')).toBe('ETH/BTC');
  });

  it('a run whose data has no market of the traded quote fails instead of trading nothing', async () => {
    const events: MarketEvent[] = [0, 1, 2].map((i) => ({ kind: 'trade', market: 'AAA/USDT', ts: 1_000 + i, price: 1, amount: 1 }) satisfies MarketEvent);
    await expect(runBacktest([events], parseConfig({}), { quote: 'EUR' })).rejects.toThrow('the data has no EUR market (its markets are quoted in USDT)');
  });
});

describe('backtest: events out of order in their file', () => {
  it('are counted in the closing line (fed at the later time), not passed over in silence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-late-'));
    // freqtrade trades JSON: the third trade is stamped a second before the second.
    const t0 = Date.UTC(2024, 0, 1);
    const rows = [[t0, '1', null, 'buy', 100, 1, 100], [t0 + 2_000, '2', null, 'sell', 101, 1, 101], [t0 + 1_000, '3', null, 'buy', 100.5, 1, 100.5], [t0 + 3_000, '4', null, 'buy', 101, 1, 101]];
    writeFileSync(join(dir, 'binance-AB_USDT-2024-01-trades.json'), JSON.stringify(rows));
    const c = captureIo();
    expect(await main(['backtest', '--data', dir, '--out', mkdtempSync(join(tmpdir(), 'coinrx-late-out-'))], c.io), c.err()).toBe(0);
    expect(c.err()).toMatch(/read 4 events from 1 file\(s\); 0 malformed and 0 ignored records skipped; 1 event\(s\) older than the one before them in their file, fed at the later time; done/);
  });
});

describe('backtest: one market', () => {
  it('says why the strategy made no decision, and how to trade one coin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-one-'));
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 2000; i++) {
      const next = 100 * (1 + 0.05 * Math.sin(i / 40));
      rows.push(`${Date.UTC(2024, 0, 1) + i * 300_000},${price},${Math.max(price, next) * 1.002},${Math.min(price, next) * 0.998},${next},${1000}`);
      price = next;
    }
    writeFileSync(join(dir, 'AB_USDT-5m.csv'), `${rows.join('\n')}\n`);
    const c = captureIo();
    expect(await main(['backtest', '--data', dir, '--config', 'config/backtest-candles.json', '--out', mkdtempSync(join(tmpdir(), 'coinrx-one-out-'))], c.io), c.err()).toBe(0);
    expect(c.err()).toMatch(/backtest: no decision with one market: .* --set strategy\.gate\.edge=false/);
  });
});
