/**
 * Candles whose open time is in epoch seconds (Kraken's and Coinbase's candles, many exporters'): every
 * row was dropped as "before 1973" (with a header) or the file refused (without one), so a folder's coin
 * in such a file left the backtest with one warning. The unit is told by the size, as for the other units.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReplay } from '../helpers/replay-read.js';

const START = Date.UTC(2017, 8, 1);
const HOUR = 3_600_000;
const opens = Array.from({ length: 60 }, (_, i) => START + i * HOUR);
const ohlcv = (i: number): string => `${100 + i},${102 + i},${99 + i},${101 + i},${7 + i}`;

const read = readReplay;

describe('candle open times in seconds', () => {
  it('reads them as the same candles as in milliseconds, with a header or without, CSV or JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-candle-seconds-'));
    const files = {
      ms: ['BTC_USD-1h.csv', `timestamp,open,high,low,close,volume\n${opens.map((t, i) => `${t},${ohlcv(i)}`).join('\n')}\n`],
      header: ['ETH_USD-1h.csv', `time,open,high,low,close,volume\n${opens.map((t, i) => `${t / 1000},${ohlcv(i)}`).join('\n')}\n`],
      headerless: ['SOL_USD-1h.csv', `${opens.map((t, i) => `${t / 1000},${ohlcv(i)}`).join('\n')}\n`],
      json: ['ADA_USD-1h.json', JSON.stringify(opens.map((t, i) => [t / 1000, ...ohlcv(i).split(',').map(Number)]))],
    };
    for (const [, [name, text]] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const reference = (await read(join(dir, files.ms[0]), false)).events;
    expect(reference.map((e) => e.ts)).toEqual(opens.map((t) => t + HOUR));
    for (const [what, [name]] of Object.entries(files)) {
      for (const readerThread of [false, true]) {
        const { events, malformed } = await read(join(dir, name), readerThread);
        expect(malformed, `${what} thread ${readerThread}`).toBe(0);
        expect(events.map((e) => ({ ...e, market: 'BTC/USD' })), `${what} thread ${readerThread}`).toEqual(reference);
      }
    }
  });
});
