/**
 * Upbit's REST candles saved as their JSON answer (`GET /v1/candles/minutes/5?market=KRW-BTC&count=200`,
 * pages appended as fetched): an array of objects, newest first. Such a file was refused ("a JSON array
 * without a complete first row"); it is read as the same candles as the CSV of its rows, in time order,
 * the market from each candle, the timeframe from its `unit`, overlapping pages read once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, readAll } from '../../src/market-data/index.js';
import { readReplay } from '../helpers/replay-read.js';

const START = Date.UTC(2024, 1, 28, 23);
const FIVE = 300_000;
const iso = (t: number): string => new Date(t).toISOString().slice(0, 19);

/** Upbit's minute candle as its REST answer writes it (every field, the KST time 9 h ahead). */
function upbitCandle(market: string, openTime: number, i: number, unit: number | undefined): Record<string, unknown> {
  const open = 85_000_000 + i * 10_000;
  const close = open + (i % 3) * 5_000 - 5_000;
  return {
    market,
    candle_date_time_utc: iso(openTime),
    candle_date_time_kst: iso(openTime + 9 * 3_600_000),
    opening_price: open,
    high_price: Math.max(open, close) + 2_000,
    low_price: Math.min(open, close) - 1_000,
    trade_price: close,
    timestamp: openTime + 4 * 60_000 + 59_123,
    candle_acc_trade_price: 1.5e9 + i,
    candle_acc_trade_volume: 17.25 + i / 8,
    ...(unit !== undefined ? { unit } : { prev_closing_price: open, change_price: close - open, change_rate: 0.001 }),
  };
}

const read = readReplay;

describe("Upbit's REST candles as JSON", () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-upbit-candles-'));
  // 60 candles, one missing (no trade in those 5 minutes), in two pages of 35 newest first that share two candles.
  const opens = Array.from({ length: 61 }, (_, i) => START + i * FIVE).filter((_, i) => i !== 40);
  const candles = opens.map((t, i) => upbitCandle('KRW-BTC', t, i, 5));
  const newer = candles.slice(25).reverse();
  const older = candles.slice(0, 27).reverse();

  it('reads the pages newest first as the candles of their rows in time order, once each, the market and timeframe from the rows', async () => {
    const csv = join(dir, 'BTC_KRW-5m.csv');
    writeFileSync(csv, `timestamp,open,high,low,close,volume\n${candles.map((c) => `${Date.parse(`${c['candle_date_time_utc'] as string}Z`)},${c['opening_price']},${c['high_price']},${c['low_price']},${c['trade_price']},${c['candle_acc_trade_volume']}`).join('\n')}\n`);
    const expected = (await read(csv, false)).events;
    expect(expected.map((e) => e.ts)).toEqual(opens.map((t) => t + FIVE));
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify([...newer, ...older], null, 2));
    expect(detectFormat('answers.json', JSON.stringify([...newer, ...older], null, 2).slice(0, 300))).toBe('upbit-candles-json');
    for (const readerThread of [false, true]) {
      const { events, infos, malformed } = await read(file, readerThread);
      expect(malformed).toBe(0);
      expect(events).toEqual(expected);
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatchObject({ file, kept: true });
      expect(infos[0]?.reason).toMatch(/2 candle\(s\) given twice \(overlapping pages\) read once/);
    }
  });

  it('reads day candles (no unit) with the timeframe of the file name, and two markets in one answer in time order', async () => {
    const days = Array.from({ length: 10 }, (_, i) => upbitCandle('KRW-ETH', START + 3_600_000 + i * 86_400_000, i, undefined)).reverse();
    const file = join(dir, 'KRW-ETH-1d.json');
    writeFileSync(file, JSON.stringify(days));
    const { events, infos } = await read(file, false);
    expect(infos).toEqual([]);
    expect(events.map((e) => [e.market, e.ts])).toEqual(Array.from({ length: 10 }, (_, i) => ['ETH/KRW', START + 3_600_000 + (i + 1) * 86_400_000]));
    const both = join(dir, 'both.json');
    writeFileSync(both, JSON.stringify([...newer, ...opens.slice(0, 20).map((t, i) => upbitCandle('BTC-XRP', t, i, 5)).reverse()]));
    const mixed = (await read(both, false)).events;
    expect(mixed.map((e) => e.ts)).toEqual([...mixed.map((e) => e.ts)].sort((a, b) => a - b));
    expect(mixed.filter((e) => e.market === 'XRP/BTC')).toHaveLength(20);
    expect(mixed.filter((e) => e.market === 'BTC/KRW')).toHaveLength(35);
  });

  it('refuses pages saved to two files that share a candle, as two candle files of one market, and reads separate pages', async () => {
    // The markets are in the rows, not the names: the files were not checked, and the shared candle was read twice.
    const sub = mkdtempSync(join(dir, 'pages-'));
    writeFileSync(join(sub, 'page1.json'), JSON.stringify(newer));
    writeFileSync(join(sub, 'page2.json'), JSON.stringify(older));
    await expect(readAll([sub])).rejects.toThrow(/BTC\/KRW: .*page\d\.json and .*page\d\.json overlap \(candles opening from/);
    writeFileSync(join(sub, 'page2.json'), JSON.stringify(candles.slice(0, 25).reverse()));
    expect((await readAll([sub])).events.map((e) => e.ts)).toEqual(opens.map((t) => t + FIVE));
    // A CSV of the market named by its name, beside an answer holding some of its candles.
    const mixed = mkdtempSync(join(dir, 'mixed-'));
    writeFileSync(join(mixed, 'KRW-BTC-5m.csv'), `timestamp,open,high,low,close,volume\n${opens.slice(20, 30).map((t) => `${t},1,2,0.5,1,1`).join('\n')}\n`);
    writeFileSync(join(mixed, 'answer.json'), JSON.stringify(older));
    await expect(readAll([mixed])).rejects.toThrow(/BTC\/KRW: .* overlap/);
  });
});
