import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MarketEvent, TradeEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const text = (file: string): string => {
  const buf = readFileSync(sharedData('trades', file));
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
};
const csvRows = (file: string): string[][] => text(file).trim().split('\n').slice(1).map((l) => l.split(','));

function expectTimeOrdered(events: readonly MarketEvent[]): void {
  let back = 0;
  for (let i = 1; i < events.length; i++) if ((events[i] as MarketEvent).ts < (events[i - 1] as MarketEvent).ts) back++;
  expect(back).toBe(0);
}

describe.skipIf(skipWithoutSharedData())('trade files', () => {
  it('splits the Binance extract into its three markets, each complete and in time order', async () => {
    const rows = csvRows('binance-2024-08-08-trades.csv.gz');
    const { events, stats } = await readAll([sharedData('trades', 'binance-2024-08-08-trades.csv.gz')]);
    expect(events).toHaveLength(rows.length);
    expect(stats.files).toHaveLength(1);
    expect(stats.files[0]).toMatchObject({ lanes: ['spot,BTCUSDT', 'spot,ETHUSDT', 'usdm,BTCUSDT'], events: rows.length, records: rows.length + 1, ignored: 1, malformed: 0, done: true });
    expectTimeOrdered(events);
    const byMarket = (m: string): TradeEvent[] => events.filter((e): e is TradeEvent => e.market === m && e.kind === 'trade');
    const futures = byMarket('BTC/USDT:USDT');
    const lastUsdm = rows.filter((r) => r[0] === 'usdm').at(-1) as string[];
    expect(futures.at(-1)).toEqual({
      kind: 'trade',
      market: 'BTC/USDT:USDT',
      ts: Number(lastUsdm[2]),
      price: Number(lastUsdm[5]),
      amount: Number(lastUsdm[6]),
      side: lastUsdm[7],
      id: Number(lastUsdm[4]),
    });
    const first = rows[0] as string[];
    expect(byMarket('BTC/USDT')[0]).toEqual({ kind: 'trade', market: 'BTC/USDT', ts: Number(first[2]), price: 61837.63, amount: 0.02, side: 'sell', id: Number(first[4]) });
    expect(byMarket('ETH/USDT')).toHaveLength(rows.filter((r) => r[1] === 'ETHUSDT').length);
    expect(byMarket('BTC/USDT')).toHaveLength(rows.filter((r) => r[0] === 'spot' && r[1] === 'BTCUSDT').length);
    expect(futures).toHaveLength(rows.filter((r) => r[0] === 'usdm').length);
    // ids are gap-free per market in this file: nothing dropped, nothing doubled
    const spotIds = byMarket('BTC/USDT').map((e) => e.id as number);
    expect(spotIds.at(-1)! - spotIds[0]! + 1).toBe(spotIds.length);
  });

  it('reads Tardis CSV with µs timestamps as ms, taker side and id', async () => {
    const rows = csvRows('tardis_binance-futures_BTCUSDT_trades_2020-02-22.csv.gz');
    const { events, stats } = await readAll([sharedData('trades', 'tardis_binance-futures_BTCUSDT_trades_2020-02-22.csv.gz')]);
    expect(stats.files[0]?.format).toBe('tardis-trades-csv');
    expect(events).toHaveLength(rows.length);
    const last = rows.at(-1) as string[];
    expect(events.at(-1)).toEqual({
      kind: 'trade',
      market: 'BTC/USDT:USDT',
      ts: Math.floor(Number(last[2]) / 1000),
      price: Number(last[6]),
      amount: Number(last[7]),
      side: last[5],
      id: Number(last[4]),
    });
    expect(events[0]).toMatchObject({ ts: 1582329602111, price: 9682, amount: 0.132, side: 'buy', id: 42377944 });
  });

  it("reads Tardis CSV of other exchanges, each symbol in its exchange's own form", async () => {
    const original = text('tardis_binance-futures_BTCUSDT_trades_2020-02-22.csv.gz');
    const rows = original.trim().split('\n').length - 1;
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-tardis-'));
    const cases: readonly [string, string, string][] = [
      ['coinbase', 'BTC-USD', 'BTC/USD'],
      ['bitmex', 'XBTUSD', 'XBT/USD'],
      ['okex-swap', 'BTC-USDT-SWAP', 'BTC/USDT:USDT'],
      ['okex-swap', 'BTC-USD-SWAP', 'BTC/USD:BTC'],
      ['huobi', 'btcusdt', 'BTC/USDT'],
      ['deribit', 'BTC-PERPETUAL', 'BTC/USD:BTC'],
      // Upbit names the quote first: its BTC in KRW is KRW-BTC, its ETH in BTC is BTC-ETH.
      ['upbit', 'KRW-BTC', 'BTC/KRW'],
      ['upbit', 'BTC-ETH', 'ETH/BTC'],
      ['upbit', 'USDT-1INCH', '1INCH/USDT'],
    ];
    for (const [exchange, symbol, market] of cases) {
      const file = join(dir, `tardis_${exchange}_${symbol}_trades.csv.gz`);
      writeFileSync(file, gzipSync(original.replaceAll('binance-futures,BTCUSDT,', `${exchange},${symbol},`)));
      const { events, stats } = await readAll([file]);
      expect(stats.files[0], `${exchange} ${symbol}`).toMatchObject({ format: 'tardis-trades-csv', malformed: 0, events: rows });
      expect(new Set(events.map((e) => e.market)), `${exchange} ${symbol}`).toEqual(new Set([market]));
    }
  });

  it('reads the freqtrade trades JSON incrementally, market from the file name', async () => {
    const rows = JSON.parse(text('binance-XRP_ETH-2019-10-trades.json.gz')) as [number, string, null, string, number, number, number][];
    const { events, stats } = await readAll([sharedData('trades', 'binance-XRP_ETH-2019-10-trades.json.gz')]);
    expect(stats.files[0]).toMatchObject({ format: 'freqtrade-trades-json', market: 'XRP/ETH', malformed: 0 });
    expect(events).toHaveLength(rows.length);
    events.forEach((e, i) => {
      const [ts, id, , side, price, amount] = rows[i] as (typeof rows)[number];
      expect(e).toEqual({ kind: 'trade', market: 'XRP/ETH', ts, price, amount, side, id: Number(id) });
    });
  });

  it('reads the nautilus CSV: ISO times, buyer_maker → taker sell', async () => {
    const rows = csvRows('binance_spot_BTCUSDT_trades_2021-01-08.csv');
    const { events, stats } = await readAll([sharedData('trades', 'binance_spot_BTCUSDT_trades_2021-01-08.csv')]);
    expect(stats.files[0]).toMatchObject({ format: 'nautilus-trades-csv', market: 'BTC/USDT' });
    expect(events).toHaveLength(rows.length);
    expect(events[0]).toEqual({ kind: 'trade', market: 'BTC/USDT', ts: Date.parse('2021-01-08T00:00:00.278Z'), price: 39432.48, amount: 0.000263, side: 'sell', id: 553287559 });
    expect(events.at(-1)).toMatchObject({ ts: Date.parse('2021-01-08T00:00:46.355Z'), price: 39491.76, amount: 0.014596000000000001, side: 'sell', id: 553289559 });
    expect(events.filter((e) => e.kind === 'trade' && e.side === 'buy')).toHaveLength(rows.filter((r) => r[4] === 'False').length);
  });

  it('merges every trade file of the folder: the count is the sum, the stream in time order', async () => {
    const { events, stats } = await readAll([sharedData('trades')]);
    expect(events.length).toBe(stats.files.reduce((a, f) => a + f.events, 0));
    expect(events.length).toBe(47_323 + 9_999 + 12_477 + 2_001);
    expectTimeOrdered(events);
  });
});

describe('nautilus trade times without a zone', () => {
  it('are UTC on a machine in any time zone (pandas writes naive times), as are those with Z, an offset or a space', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-naive-'));
    const file = join(dir, 'binance_spot_ETHBTC_trades_2022-06-01.csv');
    writeFileSync(file, 'timestamp,trade_id,price,quantity,buyer_maker\n2022-06-01T00:00:00.278,1,0.05,1,True\n2022-06-01 00:00:01.5,2,0.05,1,False\n2022-06-01T09:00:02+09:00,3,0.05,1,True\n2022-06-01T00:00:03.123456Z,4,0.05,1,True\n');
    const zone = process.env['TZ'];
    process.env['TZ'] = 'Asia/Seoul';
    try {
      const { events } = await readAll([file]);
      expect(events.map((e) => e.ts - Date.UTC(2022, 5, 1))).toEqual([278, 1500, 2000, 3123]);
    } finally {
      if (zone === undefined) delete process.env['TZ'];
      else process.env['TZ'] = zone;
    }
  });
});
