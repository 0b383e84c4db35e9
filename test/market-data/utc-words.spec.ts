/**
 * ISO times whose zone is written as a word, as BigQuery and many SQL exports write them
 * (`2021-01-01 00:00:00 UTC`): every candle row of such a `date` file (and every nautilus trade) was
 * malformed ("bad timestamp"), the file read as nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../src/market-data/index.js';
import { parseUtcTime } from '../../src/market-data/parsers/utc-time.js';

describe('a zone written as UTC or GMT', () => {
  it('is read as Z, in candle dates and trade times', async () => {
    expect(parseUtcTime('2021-01-01 00:00:00 UTC')).toBe(Date.UTC(2021, 0, 1));
    expect(parseUtcTime('2021-01-01T00:00:00.250 GMT')).toBe(Date.UTC(2021, 0, 1) + 250);
    expect(parseUtcTime('2021-01-01 09:00:00+09:00')).toBe(Date.UTC(2021, 0, 1));
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-utc-words-'));
    writeFileSync(join(dir, 'ETH_USDT-1h.csv'), 'date,open,high,low,close,volume\n2021-01-01 00:00:00 UTC,1,2,0.5,1.5,3\n2021-01-01 01:00:00 UTC,1,2,0.5,1.5,3\n');
    const candles = await readAll([join(dir, 'ETH_USDT-1h.csv')]);
    expect(candles.stats.files[0]).toMatchObject({ malformed: 0 });
    expect(candles.events.map((e) => e.ts)).toEqual([Date.UTC(2021, 0, 1, 1), Date.UTC(2021, 0, 1, 2)]);
    writeFileSync(join(dir, 'binance_spot_ETHUSDT_trades_2021-01-01.csv'), 'timestamp,trade_id,price,quantity,buyer_maker\n2021-01-01 00:00:00.5 UTC,1,730.1,2,True\n');
    const trades = await readAll([join(dir, 'binance_spot_ETHUSDT_trades_2021-01-01.csv')]);
    expect(trades.events.map((e) => e.ts)).toEqual([Date.UTC(2021, 0, 1) + 500]);
  });
});
