/**
 * Candle files written newest first (CryptoDataDownload's CSVs, an exchange's REST answer turned into CSV,
 * ccxt arrays reversed): every row but the first was dropped as "out of order", the market's whole history
 * but its last candle lost behind one warning line. Such a file is refused with the reason; one stray
 * earlier row after the first is still only that row dropped.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../src/market-data/index.js';

const START = Date.UTC(2020, 10, 3);
const HOUR = 3_600_000;
const opens = Array.from({ length: 50 }, (_, i) => START + i * HOUR);
const row = (t: number, i: number): string => `${t},${100 + i},${103 + i},${99 + i},${101 + i},${5 + i}`;

describe('candle files newest first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-newest-first-'));

  it('are refused, CSV or JSON, named or not', async () => {
    const reversed = opens.map(row).reverse();
    writeFileSync(join(dir, 'DOT_USDT-1h.csv'), `timestamp,open,high,low,close,volume\n${reversed.join('\n')}\n`);
    writeFileSync(join(dir, 'DOT_BTC.csv'), `${reversed.join('\n')}\n`);
    writeFileSync(join(dir, 'DOT_ETH-1h.json'), `[${reversed.map((r) => `[${r}]`).join(',')}]`);
    for (const name of ['DOT_USDT-1h.csv', 'DOT_BTC.csv', 'DOT_ETH-1h.json']) {
      await expect(readAll([join(dir, name)]), name).rejects.toThrow(/rows run newest first .*sort the file by its open time/);
    }
  });

  it('leave a file with one stray earlier row read, that row dropped', async () => {
    const rows = opens.map(row);
    rows.splice(1, 0, row(START - 5 * HOUR, 0));
    writeFileSync(join(dir, 'SOL_USDT-1h.csv'), `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    const { events, stats } = await readAll([join(dir, 'SOL_USDT-1h.csv')]);
    expect(events.map((e) => e.ts)).toEqual(opens.map((t) => t + HOUR));
    expect(stats.files[0]).toMatchObject({ malformed: 1 });
  });
});
