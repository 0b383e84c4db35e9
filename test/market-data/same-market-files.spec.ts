import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CandleEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { captureIo } from '../helpers/capture-io.js';

const JAN = Date.UTC(2021, 0, 1);

/** `rows` candles of `stepMs` from `start`, as freqtrade writes them. */
function candles(start: number, rows: number, stepMs: number): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < rows; i++) lines.push(`${start + i * stepMs},100,101,99,100,${10 + i}`);
  return `${lines.join('\n')}\n`;
}

/** Writes `files` (relative path → text) into a new temp folder; returns it. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-same-market-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), name.endsWith('.gz') ? gzipSync(text) : text);
  }
  return dir;
}

describe('two files of one market', () => {
  it('refuses candle files of one market in two timeframes, naming both files', async () => {
    const dir = folder({ 'BTC_USDT-5m.csv': candles(JAN, 24, 300_000), 'BTC_USDT-1h.csv': candles(JAN, 2, 3_600_000) });
    await expect(readAll([dir])).rejects.toThrow(/BTC\/USDT has candle files of two timeframes, .*BTC_USDT-1h\.csv \(1h\) and .*BTC_USDT-5m\.csv \(5m\)/);
  });

  it('refuses the same market and timeframe in two folders when their candles overlap, naming both files and the overlap', async () => {
    const dir = folder({
      'a/BTCUSDT/BTC_USDT-5m.csv.gz': candles(JAN, 288, 300_000),
      // The second half of Jan 1 again, and on into Jan 2.
      'b/BTC_USDT-5m.csv.gz': candles(JAN + 144 * 300_000, 288, 300_000),
    });
    const read = readAll([join(dir, 'a'), join(dir, 'b')]);
    await expect(read).rejects.toThrow(
      `BTC/USDT: ${join(dir, 'a/BTCUSDT/BTC_USDT-5m.csv.gz')} and ${join(dir, 'b/BTC_USDT-5m.csv.gz')} overlap (candles opening from 2021-01-01T12:00:00.000Z to 2021-01-01T23:55:00.000Z are in both)`,
    );
  });

  it('reads files of one market covering separate spans as one series, every candle once', async () => {
    const dir = folder({
      'jan-1/BTC_USDT-5m.csv': candles(JAN, 288, 300_000),
      'jan-2/BTC_USDT-5m.csv': candles(JAN + 288 * 300_000, 288, 300_000),
      'ETH_USDT-5m.csv': candles(JAN, 576, 300_000),
    });
    const { events, stats } = await readAll([dir]);
    const btc = events.filter((e) => e.market === 'BTC/USDT') as CandleEvent[];
    expect(btc).toHaveLength(576);
    expect(btc.every((e, i) => e.openTime === JAN + i * 300_000)).toBe(true);
    expect(stats.malformed).toBe(0);
  });

  it('--market on several candle files of other coins would make them one market: refused', async () => {
    const dir = folder({ 'BTC_USDT-5m.csv': candles(JAN, 24, 300_000), 'ETH_USDT-5m.csv': candles(JAN, 24, 300_000) });
    await expect(readAll([dir], { market: 'BTC/USDT' })).rejects.toThrow(/BTC\/USDT: .*BTC_USDT-5m\.csv and .*ETH_USDT-5m\.csv overlap/);
  });

  it('coinrx backtest stops at the start with one line naming both files', async () => {
    const dir = folder({ 'BTC_USDT-5m.csv': candles(JAN, 600, 300_000), 'BTC_USDT-1h.csv': candles(JAN, 50, 3_600_000), 'ETH_USDT-5m.csv': candles(JAN, 600, 300_000) });
    const c = captureIo();
    expect(await main(['backtest', '--data', dir, '--out', join(dir, 'out')], c.io)).toBe(1);
    expect(c.err()).toMatch(/^coinrx backtest: BTC\/USDT has candle files of two timeframes, .*BTC_USDT-1h\.csv \(1h\) and .*BTC_USDT-5m\.csv \(5m\)/m);
    expect(c.out()).toBe('');
  });
});
