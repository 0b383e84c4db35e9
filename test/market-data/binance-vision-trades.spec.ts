/**
 * Binance's public trade files (data.binance.vision): `trades` and `aggTrades`, spot's without a header
 * (times in ms, or µs since 2025) and futures' with one. Made here from the real trades of the shared
 * Binance extract, written as Binance publishes them, and read back against that extract's own events.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TradeEvent } from '../../src/core/index.js';
import { detectFormat, hintsFromFileName, readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const EXTRACT = 'binance-2024-08-08-trades.csv.gz';

/** The extract's rows of one venue and symbol: `market,symbol,trade_time_ms,local_recv_ns,trade_id,price,qty,taker_side,is_buyer_maker`. */
function extractRows(venue: string, symbol: string): string[][] {
  const text = gunzipSync(readFileSync(sharedData('trades', EXTRACT))).toString('utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter((r) => r[0] === venue && r[1] === symbol);
}

async function extractTrades(market: string): Promise<TradeEvent[]> {
  const { events } = await readAll([sharedData('trades', EXTRACT)]);
  return events.filter((e): e is TradeEvent => e.kind === 'trade' && e.market === market);
}

/** What Binance aggregates: consecutive trades of one taker order, at one price and time (brute force, from the rows). */
interface Aggregate {
  id: number;
  price: string;
  qty: number;
  first: string;
  last: string;
  time: string;
  maker: string;
}
function aggregate(rows: readonly string[][]): Aggregate[] {
  const out: Aggregate[] = [];
  for (const r of rows) {
    const [, , time, , id, price, qty, , maker] = r as [string, string, string, string, string, string, string, string, string];
    const prev = out.at(-1);
    if (prev && prev.time === time && prev.price === price && prev.maker === maker) {
      prev.qty += Number(qty);
      prev.last = id;
    } else out.push({ id: 900_000 + out.length, price, qty: Number(qty), first: id, last: id, time, maker });
  }
  return out;
}

describe.skipIf(skipWithoutSharedData())('Binance public trade files (data.binance.vision)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-binance-vision-'));

  it('reads spot trades without a header, in ms or µs, as the extract reads the same trades', async () => {
    const rows = extractRows('spot', 'BTCUSDT');
    const expected = await extractTrades('BTC/USDT');
    expect(expected.length).toBeGreaterThan(1000);
    // `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`, Python's booleans, as Binance writes spot files.
    const line = (r: string[], time: string): string => `${r[4]},${r[5]},${r[6]},${(Number(r[5]) * Number(r[6])).toFixed(8)},${time},${r[8] === 'true' ? 'True' : 'False'},True`;
    const ms = join(dir, 'BTCUSDT-trades-2024-08-08.csv');
    writeFileSync(ms, `${rows.map((r) => line(r, r[2] as string)).join('\n')}\n`);
    // Since 2025 the spot files are in µs: a sub-ms part that must not move a trade to another millisecond.
    const micros = join(dir, 'BTCUSDT-trades-2025-01-02.csv.gz');
    writeFileSync(micros, gzipSync(`${rows.map((r, i) => line(r, `${r[2]}${String(i % 1000).padStart(3, '0')}`)).join('\n')}\n`));
    for (const file of [ms, micros]) {
      const { events, stats } = await readAll([file]);
      expect(stats.files[0], file).toMatchObject({ format: 'binance-vision-trades-csv', market: 'BTC/USDT', malformed: 0, ignored: 0 });
      expect(events, file).toEqual(expected);
    }
  });

  it('reads futures trades with their header, the market given for the contract', async () => {
    const rows = extractRows('usdm', 'BTCUSDT');
    const expected = await extractTrades('BTC/USDT:USDT');
    const file = join(dir, 'futures', 'BTCUSDT-trades-2024-08-08.csv');
    mkdirSync(join(dir, 'futures'));
    // `id,price,qty,quote_qty,time,is_buyer_maker` with a header and lowercase booleans, as Binance writes futures files.
    writeFileSync(file, `id,price,qty,quote_qty,time,is_buyer_maker\n${rows.map((r) => `${r[4]},${r[5]},${r[6]},${(Number(r[5]) * Number(r[6])).toFixed(8)},${r[2]},${r[8]}`).join('\r\n')}\r\n`);
    const { events, stats } = await readAll([file], { market: 'BTC/USDT:USDT' });
    expect(stats.files[0]).toMatchObject({ format: 'binance-vision-trades-csv', malformed: 0, ignored: 1 });
    expect(events).toEqual(expected);
  });

  it('reads aggTrades, spot and futures, as one trade per aggregate with its taker side and id', async () => {
    const aggregates = aggregate(extractRows('spot', 'BTCUSDT'));
    // Aggregation merged something, or this test would not tell the layouts apart.
    expect(aggregates.length).toBeLessThan(extractRows('spot', 'BTCUSDT').length);
    const row = (a: Aggregate): string => `${a.id},${a.price},${a.qty.toFixed(8)},${a.first},${a.last},${a.time}`;
    const spot = join(dir, 'BTCUSDT-aggTrades-2024-08-08.csv');
    writeFileSync(spot, `${aggregates.map((a) => `${row(a)},${a.maker === 'true' ? 'True' : 'False'},True`).join('\n')}\n`);
    const futures = join(dir, 'BTCUSDT-aggTrades-2024-08.csv');
    writeFileSync(futures, `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n${aggregates.map((a) => `${row(a)},${a.maker}`).join('\n')}\n`);
    const expected: TradeEvent[] = aggregates.map((a) => ({ kind: 'trade', market: 'BTC/USDT', ts: Number(a.time), price: Number(a.price), amount: Number(a.qty.toFixed(8)), side: a.maker === 'true' ? 'sell' : 'buy', id: a.id }));
    for (const file of [spot, futures]) {
      const { events, stats } = await readAll([file]);
      expect(stats.files[0], file).toMatchObject({ format: 'binance-vision-aggtrades-csv', market: 'BTC/USDT', malformed: 0 });
      expect(events, file).toEqual(expected);
    }
  });

  it('tells each layout from klines and names the market from the file name', () => {
    expect(detectFormat('x.csv', '3735683259,61837.63,0.02,1236.75,1723161255342,True,True\n')).toBe('binance-vision-trades-csv');
    expect(detectFormat('x.csv', '5174373051,61837.6,0.004,247.35,1723161255342,false\n')).toBe('binance-vision-trades-csv');
    expect(detectFormat('x.csv', '3103344473,61837.63,0.02,3735683259,3735683260,1723161255342000,True,True\n')).toBe('binance-vision-aggtrades-csv');
    expect(detectFormat('x.csv', 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n')).toBe('binance-vision-aggtrades-csv');
    expect(detectFormat('x.csv', '1609459200000,28923.63,29031.34,28690.17,28995.13,2311.811445,1609459499999,66768830.34,58389,1215.359,35103582.6,0\n')).toBe('candles-csv');
    expect(hintsFromFileName('BTCUSDT-trades-2024-08-08.csv')).toEqual({ market: 'BTC/USDT' });
    expect(hintsFromFileName('ETHBTC-aggTrades-2021-03.csv.gz')).toEqual({ market: 'ETH/BTC' });
  });

  it('counts a bad row and reads the rest', async () => {
    const file = join(dir, 'ETHUSDT-trades-2024-08-09.csv');
    writeFileSync(file, '1,2600.5,0.1,260.05,1723161255342,True,True\n2,2600.6,0.2,520.12,1723161255343,maybe,True\n3,2600.7,0.3,780.21,1723161255344,False,True\n');
    const { events, stats } = await readAll([file]);
    expect(stats.files[0]).toMatchObject({ malformed: 1, events: 2 });
    expect(events.map((e) => (e as TradeEvent).side)).toEqual(['sell', 'buy']);
  });
});
