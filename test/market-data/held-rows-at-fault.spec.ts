/**
 * A file that breaks part-way (a truncated gzip, a JSON array cut short) read with onFileError: 'count' (the
 * CLI's --skip-broken-files) gives what it held before the fault. Rows a parser holds before it emits them
 * (candle rows waiting for their timeframe: the first 32 of a named file, the first 8 of an unnamed one;
 * Upbit's REST answer, read whole) were lost with the fault: a short file's candles, all of them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { openReplay } from '../../src/market-data/index.js';

const START = Date.UTC(2016, 6, 1);
const HOUR = 3_600_000;

async function readCounting(file: string, readerThread: boolean): Promise<{ events: MarketEvent[]; error: string | undefined }> {
  const source = openReplay([file], { readerThread, onFileError: 'count' });
  const events: MarketEvent[] = [];
  for await (const batch of source.batches()) events.push(...batch);
  return { events, error: source.stats().files[0]?.error };
}

describe('rows held when a file breaks part-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-held-at-fault-'));
  const opens = Array.from({ length: 20 }, (_, i) => START + i * HOUR);

  it('come out before the error is counted: candle CSV, candle JSON, Upbit JSON', async () => {
    const csv = `timestamp,open,high,low,close,volume\n${opens.map((t, i) => `${t},${10 + i},${12 + i},${9 + i},${11 + i},${i + 1}`).join('\n')}\n`;
    const gz = gzipSync(csv);
    // The gzip's trailer cut: every row inflated, then the fault.
    writeFileSync(join(dir, 'ETH_BTC-1h.csv.gz'), gz.subarray(0, gz.length - 4));
    writeFileSync(join(dir, 'LTC_BTC.json'), `[${opens.slice(0, 6).map((t, i) => `[${t},${10 + i},${12 + i},${9 + i},${11 + i},${i + 1}]`).join(',')},[${opens[6]},1`);
    const upbit = opens.slice(0, 5).map((t, i) => JSON.stringify({ market: 'KRW-ETC', candle_date_time_utc: new Date(t).toISOString().slice(0, 19), opening_price: 10 + i, high_price: 12 + i, low_price: 9 + i, trade_price: 11 + i, candle_acc_trade_volume: i + 1, unit: 60 }));
    writeFileSync(join(dir, 'answer.json'), `[${upbit.reverse().join(',')},{"market":"KRW-ETC","candle_date_`);
    for (const [name, count] of [['ETH_BTC-1h.csv.gz', 20], ['LTC_BTC.json', 6], ['answer.json', 5]] as const) {
      for (const readerThread of [false, true]) {
        const { events, error } = await readCounting(join(dir, name), readerThread);
        expect(error, name).toMatch(/truncated|file ends inside/);
        expect(events.map((e) => e.ts), `${name} thread ${readerThread}`).toEqual(opens.slice(0, count).map((t) => t + HOUR));
      }
    }
  });
});
