/**
 * Candles as other tools write them read as the same candles as freqtrade's CSV: Binance's public klines
 * (data.binance.vision: no header, twelve columns, the open time in milliseconds, or in microseconds since
 * 2025, the market in the file name `ETHUSDT-5m-2021-01.csv`) and pandas' export with an ISO-8601 `date`
 * column; headers in another case, naming (`open_time`) or column order, quoted fields; open times in nanoseconds; a
 * `.gz` that holds plain text. Each file is compared event by event with the freqtrade CSV of the same rows.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../src/core/index.js';
import { detectFormat, hintsFromFileName, readAll } from '../../src/market-data/index.js';

const START = Date.UTC(2025, 0, 1);
const STEP = 300_000;

type Row = Pick<CandleEvent, 'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

const rows: Row[] = Array.from({ length: 500 }, (_, i) => {
  const open = 3000 + 40 * Math.sin(i / 17) + (i % 13) / 8;
  const close = open + 5 * Math.cos(i / 5);
  return { openTime: START + i * STEP, open, high: Math.max(open, close) + 1.25, low: Math.min(open, close) - 0.75, close, volume: 10 + (i % 29) * 1.5 };
});

const dir = mkdtempSync(join(tmpdir(), 'coinrx-candle-variants-'));

function write(sub: string, name: string, lines: readonly string[]): string {
  mkdirSync(join(dir, sub), { recursive: true });
  const file = join(dir, sub, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const ohlcv = (r: Row): string => `${r.open},${r.high},${r.low},${r.close},${r.volume}`;
/** The rest of a kline: close time, quote volume, trades, taker buy base and quote volumes, an unused field. */
const klineTail = (r: Row, unit: number): string => `${(r.openTime + STEP - 1) * unit + (unit - 1)},${r.close * r.volume},42,${r.volume / 2},${(r.close * r.volume) / 2},0`;

const freqtrade = write('freqtrade', 'ETH_USDT-5m.csv', ['timestamp,open,high,low,close,volume', ...rows.map((r) => `${r.openTime},${ohlcv(r)}`)]);

describe('candles written by other tools', () => {
  it('read as the same candles as freqtrade CSV: Binance klines in ms and in µs, pandas ISO dates', async () => {
    const expected = await readAll([freqtrade]);
    expect(expected.stats).toMatchObject({ events: rows.length, malformed: 0 });
    const variants = {
      'klines (ms)': write('klines-ms', 'ETHUSDT-5m-2025-01.csv', rows.map((r) => `${r.openTime},${ohlcv(r)},${klineTail(r, 1)}`)),
      'klines (µs)': write('klines-us', 'ETHUSDT-5m-2025-01.csv', rows.map((r) => `${r.openTime * 1000},${ohlcv(r)},${klineTail(r, 1000)}`)),
      'ISO dates': write('iso', 'ETH_USDT-5m.csv', ['date,open,high,low,close,volume', ...rows.map((r) => `${new Date(r.openTime).toISOString().replace('T', ' ').replace('.000Z', '+00:00')},${ohlcv(r)}`)]),
    };
    for (const [what, file] of Object.entries(variants)) {
      const got = await readAll([file]);
      expect(got.stats.malformed, what).toBe(0);
      expect(got.events, what).toEqual(expected.events);
    }
  });

  it('reads headers in another case, naming or column order, quoted fields, and open times in nanoseconds, as the same candles', async () => {
    const expected = await readAll([freqtrade]);
    const kline = rows.map((r) => `${r.openTime},${ohlcv(r)},${klineTail(r, 1)}`);
    const variants = {
      'capitalised header': write('capitals', 'ETH_USDT-5m.csv', ['Timestamp,Open,High,Low,Close,Volume', ...rows.map((r) => `${r.openTime},${ohlcv(r)}`)]),
      // Binance's USD-M futures klines carry a header; the market is given as it would be for them.
      'futures klines with a header': write('klines-header', 'ETHUSDT-5m-2025-01.csv', ['open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore', ...kline]),
      'columns in another order': write('order', 'ETH_USDT-5m.csv', ['timestamp,volume,open,close,high,low', ...rows.map((r) => `${r.openTime},${r.volume},${r.open},${r.close},${r.high},${r.low}`)]),
      'open times in nanoseconds': write('ns', 'ETH_USDT-5m.csv', ['timestamp,open,high,low,close,volume', ...rows.map((r) => `${r.openTime}000000,${ohlcv(r)}`)]),
      // pandas' to_csv keeps its index as a first column with no name; R's write.csv quotes the names and row names.
      'a pandas index column': write('pandas-index', 'ETH_USDT-5m.csv', [',timestamp,open,high,low,close,volume', ...rows.map((r, i) => `${i},${r.openTime},${ohlcv(r)}`)]),
      "R's write.csv": write('r', 'ETH_USDT-5m.csv', ['"","timestamp","open","high","low","close","volume"', ...rows.map((r, i) => `"${i + 1}",${r.openTime},${ohlcv(r)}`)]),
      'every field quoted': write('quoted', 'ETH_USDT-5m.csv', ['"timestamp","open","high","low","close","volume"', ...rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].map((v) => `"${v}"`).join(','))]),
    };
    for (const [what, file] of Object.entries(variants)) {
      const got = await readAll([file]);
      expect(got.stats.malformed, what).toBe(0);
      expect(got.events, what).toEqual(expected.events);
    }
    // A nanosecond time that is not a whole millisecond is refused, not read 10^6 times too late or rounded.
    const odd = write('ns-odd', 'ETH_USDT-5m.csv', ['timestamp,open,high,low,close,volume', `${START}000007,${ohlcv(rows[0] as Row)}`, ...rows.slice(1).map((r) => `${r.openTime}000000,${ohlcv(r)}`)]);
    const read = await readAll([odd]);
    expect(read.stats.malformed).toBe(1);
    expect(read.events).toEqual(expected.events.slice(1));
  });

  it('reads a file named .gz that holds plain text (gunzipped, not renamed) as that text', async () => {
    const expected = await readAll([freqtrade]);
    const text = ['timestamp,open,high,low,close,volume', ...rows.map((r) => `${r.openTime},${ohlcv(r)}`)];
    const plain = write('gz-plain', 'ETH_USDT-5m.csv.gz', text);
    expect((await readAll([plain])).events).toEqual(expected.events);
    // A real gzip under that name still reads, and bytes that are neither stay an error naming the file.
    mkdirSync(join(dir, 'gz-real'));
    writeFileSync(join(dir, 'gz-real', 'ETH_USDT-5m.csv.gz'), gzipSync(`${text.join('\n')}\n`));
    expect((await readAll([join(dir, 'gz-real', 'ETH_USDT-5m.csv.gz')])).events).toEqual(expected.events);
    mkdirSync(join(dir, 'gz-bad'));
    writeFileSync(join(dir, 'gz-bad', 'ETH_USDT-5m.csv.gz'), Buffer.from([0x00, 0x9f, 0x10, 0x42, 0x07, 0x00]));
    await expect(readAll([join(dir, 'gz-bad', 'ETH_USDT-5m.csv.gz')])).rejects.toThrow(/gz-bad\/ETH_USDT-5m\.csv\.gz: not gzip data/);
  });

  it("detects the klines and the `date` header, and reads the market from Binance's file names", () => {
    expect(detectFormat('x', '1735689600000,3000.5,3001,2999,3000,12.5,1735689899999,37500,42,6.25,18750,0\n')).toBe('candles-csv');
    expect(detectFormat('x', '1735689600000000,3000.5,3001,2999,3000,12.5,1735689899999999,37500,42,6.25,18750,0\n')).toBe('candles-csv');
    expect(detectFormat('x', 'date,open,high,low,close,volume\n2025-01-01 00:00:00+00:00,1,2,0.5,1.5,3\n')).toBe('candles-csv');
    expect(detectFormat('x', 'Date,Open,High,Low,Close,Volume\n2025-01-01,1,2,0.5,1.5,3\n')).toBe('candles-csv');
    expect(detectFormat('x', 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n')).toBe('candles-csv');
    expect(detectFormat('x', 'timestamp,open,close,high,low,volume\n')).toBe('candles-csv');
    expect(detectFormat('x', 'timestamp,open,high,low,close\n')).toHaveProperty('reason');
    expect(detectFormat('x', '1735689600000,3000.5,3001\n')).toHaveProperty('reason');
    expect(hintsFromFileName('ETHUSDT-5m-2021-01.csv')).toEqual({ market: 'ETH/USDT', timeframeMs: 300_000 });
    expect(hintsFromFileName('BTCUSDT-1h-2025-03-07.csv')).toEqual({ market: 'BTC/USDT', timeframeMs: 3_600_000 });
    expect(hintsFromFileName('KRW-BTC-15m.csv')).toEqual({ market: 'BTC/KRW', timeframeMs: 900_000 });
  });

  it('refuses a microsecond time that is not a whole millisecond, and a time that is no time', async () => {
    const odd = write('odd', 'ETHUSDT-5m-2025-01.csv', [`${START * 1000 + 7},${ohlcv(rows[0] as Row)}`, ...rows.slice(1).map((r) => `${r.openTime * 1000},${ohlcv(r)}`)]);
    const { stats } = await readAll([odd]);
    expect(stats.malformed).toBe(1);
    const bad = write('bad', 'ETH_USDT-5m.csv', ['date,open,high,low,close,volume', `yesterday,${ohlcv(rows[0] as Row)}`, ...rows.slice(1).map((r) => `${new Date(r.openTime).toISOString()},${ohlcv(r)}`)]);
    const read = await readAll([bad]);
    expect(read.stats.malformed).toBe(1);
    expect(read.stats.events).toBe(rows.length - 1);
  });
});
