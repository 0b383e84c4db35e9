/**
 * Candle CSV headers other tools write: python-binance's klines as a DataFrame (`Open time,Open,High,Low,
 * Close,Volume,Close time,…`) and an open time called `unix` were refused ("unrecognised first line").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../src/market-data/index.js';

describe('candle headers of other tools', () => {
  it('reads an open time named "Open time", "OpenTime" or "unix" as the same candles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-header-names-'));
    const t = Date.UTC(2022, 4, 9);
    const rows = [0, 1, 2].map((i) => [t + i * 900_000, 30_000 + i, 30_100 + i, 29_900 + i, 30_050 + i, 12.5 + i]);
    const reference = join(dir, 'BTC_USDT-15m.csv');
    writeFileSync(reference, `timestamp,open,high,low,close,volume\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const expected = (await readAll([reference])).events;
    expect(expected).toHaveLength(3);
    const headers: [string, (r: number[]) => string][] = [
      ['Open time,Open,High,Low,Close,Volume,Close time,Quote asset volume,Number of trades,Taker buy base asset volume,Taker buy quote asset volume,Ignore', (r) => `${r.join(',')},${(r[0] as number) + 899_999},1,2,3,4,0`],
      ['OpenTime,Open,High,Low,Close,Volume', (r) => r.join(',')],
      ['unix,symbol,open,high,low,close,volume', (r) => [r[0], 'BTC/USDT', ...r.slice(1)].join(',')],
    ];
    for (const [i, [header, row]] of headers.entries()) {
      writeFileSync(join(dir, `BTC_USDT-15m-h${i}.csv`), `${header}\n${rows.map(row).join('\n')}\n`);
      const got = await readAll([join(dir, `BTC_USDT-15m-h${i}.csv`)]);
      expect(got.stats.files[0], header).toMatchObject({ format: 'candles-csv', malformed: 0 });
      expect(got.events, header).toEqual(expected);
    }
  });
});
