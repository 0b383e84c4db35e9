import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CandleEvent, MarketEvent } from '../../src/core/index.js';
import { openReplay, readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const DIR = 'candles/binance-spot-2021-5m';
const rawRows = (file: string): string[][] =>
  gunzipSync(readFileSync(sharedData(DIR, file)))
    .toString('utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe.skipIf(skipWithoutSharedData())('candle files', () => {
  it('reads a freqtrade 5m CSV: one candle per row, stamped at its close, values as in the file', async () => {
    const rows = rawRows('BTC_USDT-5m.csv.gz');
    const { events, stats } = await readAll([sharedData(DIR, 'BTC_USDT-5m.csv.gz')]);
    expect(events).toHaveLength(rows.length);
    expect(stats.files[0]).toMatchObject({ format: 'candles-csv', market: 'BTC/USDT', events: rows.length, malformed: 0, ignored: 1 });
    for (const i of [0, rows.length - 1]) {
      const [t, o, h, l, c, v] = (rows[i] as string[]).map(Number) as [number, number, number, number, number, number];
      expect(events[i]).toEqual({ kind: 'candle', market: 'BTC/USDT', ts: t + 300_000, openTime: t, open: o, high: h, low: l, close: c, volume: v });
    }
    // every row, against the brute-force parse of the text
    events.forEach((e, i) => expect((e as CandleEvent).close).toBe(Number((rows[i] as string[])[4])));
  });

  it('merges all 30 coins into one time-ordered stream holding every candle', async () => {
    const files = readdirSync(sharedData(DIR)).filter((f) => f.endsWith('.csv.gz'));
    expect(files).toHaveLength(30);
    const { events, stats } = await readAll([sharedData(DIR)]);
    const perFile = stats.files.map((f) => f.events);
    expect(events.length).toBe(perFile.reduce((a, b) => a + b, 0));
    expect(stats.files).toHaveLength(30);
    expect(stats.malformed).toBe(0);
    let expected = 0;
    for (const f of files) {
      const text = gunzipSync(readFileSync(sharedData(DIR, f)));
      for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) expected++;
      expected -= 1; // the header
    }
    expect(events.length).toBe(expected);
    // equal times keep file order (directories expand sorted, so by file name)
    const fileOrder = new Map(files.sort().map((f, i) => [f.replace('_', '/').replace('-5m.csv.gz', ''), i]));
    let disorder = 0;
    for (let i = 1; i < events.length; i++) {
      const a = events[i - 1] as MarketEvent;
      const b = events[i] as MarketEvent;
      if (b.ts < a.ts || (b.ts === a.ts && (fileOrder.get(b.market) as number) <= (fileOrder.get(a.market) as number))) disorder++;
    }
    expect(disorder).toBe(0);
    // the count per market is the count of rows in its file
    const perMarket = new Map<string, number>();
    for (const e of events) perMarket.set(e.market, (perMarket.get(e.market) ?? 0) + 1);
    expect(perMarket.get('ETH/USDT')).toBe(rawRows('ETH_USDT-5m.csv.gz').length);
  });

  it('gives identical events from the gzip file, its plain copy, a .gz-less name and the freqtrade JSON form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-candles-'));
    const gz = sharedData(DIR, 'ETH_USDT-5m.csv.gz');
    const text = gunzipSync(readFileSync(gz)).toString('utf8');
    writeFileSync(join(dir, 'ETH_USDT-5m.csv'), text);
    writeFileSync(join(dir, 'ETH_USDT-5m.data'), readFileSync(gz)); // gzip told by its magic bytes
    const rows = text.trim().split('\n').slice(1).map((l) => `[${l}]`);
    writeFileSync(join(dir, 'ETH_USDT-5m.json'), `[${rows.join(',')}]`);
    const reference = (await readAll([gz])).events;
    expect(reference.length).toBeGreaterThan(25_000);
    expect((await readAll([join(dir, 'ETH_USDT-5m.csv')])).events).toEqual(reference);
    expect((await readAll([join(dir, 'ETH_USDT-5m.data')])).events).toEqual(reference);
    const json = await readAll([join(dir, 'ETH_USDT-5m.json')]);
    expect(json.stats.files[0]?.format).toBe('candles-json');
    expect(json.events).toEqual(reference);
  });

  it('infers the timeframe from the spacing of the first rows when the name has none, and takes the market from options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-candles-'));
    const lines = ['timestamp,open,high,low,close,volume', '1609459200000,10,12,9,11,5', '1609462800000,11,11.5,10,10.5,7', '1609466400000,10.5,11,10,11,1'];
    writeFileSync(join(dir, 'hourly.csv'), `\ufeff${lines.join('\r\n')}\r\n`); // BOM and CRLF, as spreadsheets write
    const { events, stats } = await readAll([join(dir, 'hourly.csv')], { market: 'FOO/KRW' });
    expect(stats.files[0]).toMatchObject({ malformed: 0, ignored: 1 });
    expect(events.map((e) => e.ts)).toEqual([1609462800000, 1609466400000, 1609470000000]);
    expect(events.every((e) => e.market === 'FOO/KRW')).toBe(true);
    await expect(readAll([join(dir, 'hourly.csv')])).rejects.toThrow(/hourly\.csv.*the file name names no market/);
  });
});

describe('candle timeframe from the rows', () => {
  it('is the smallest spacing of the first rows: a row missing between the first two does not double it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-candles-gap-'));
    const start = Date.UTC(2021, 0, 1);
    // 5-minute rows with the second one missing (the exchange was down), no timeframe in the name.
    const opens = Array.from({ length: 40 }, (_, i) => start + i * 300_000).filter((_, i) => i !== 1);
    writeFileSync(join(dir, 'SOL_USDT.csv'), `timestamp,open,high,low,close,volume\n${opens.map((t, i) => `${t},${10 + i},${11 + i},${9 + i},${10.5 + i},${i + 1}`).join('\n')}\n`);
    for (const readerThread of [false, true]) {
      const source = openReplay([join(dir, 'SOL_USDT.csv')], { readerThread });
      const events: MarketEvent[] = [];
      for await (const batch of source.batches()) events.push(...batch);
      expect(source.stats().malformed, `reader thread ${readerThread}`).toBe(0);
      // Each candle stamped at its close, 5 minutes after it opened, the first one too.
      expect(events.map((e) => e.ts), `reader thread ${readerThread}`).toEqual(opens.map((t) => t + 300_000));
    }
    // A file shorter than the rows looked at still gives its timeframe from what it has.
    writeFileSync(join(dir, 'ADA_USDT.csv'), `timestamp,open,high,low,close,volume\n${start},1,1,1,1,1\n${start + 3_600_000},1,1,1,1,1\n${start + 10_800_000},1,1,1,1,1\n`);
    expect((await readAll([join(dir, 'ADA_USDT.csv')])).events.map((e) => e.ts - (e as CandleEvent).openTime)).toEqual([3_600_000, 3_600_000, 3_600_000]);
  });
});
