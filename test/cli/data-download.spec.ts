import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CandleEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { UpbitServer } from '../helpers/upbit-server.js';

const MINUTE = 60_000;
const CANDLES = '/v1/candles/minutes/1';

describe('coinrx data download (local Upbit server)', () => {
  let server: UpbitServer;
  let root: string;
  // A closed window well in the past: the same candles on every run, whatever the wall clock does.
  const since = Math.floor(Date.now() / MINUTE) * MINUTE - 600 * MINUTE;
  const until = since + 450 * MINUTE;

  beforeAll(async () => {
    server = await UpbitServer.start();
    root = await mkdtemp(join(tmpdir(), 'coinrx-download-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const download = async (out: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> => {
    const cap = captureIo();
    const code = await main(['data', 'download', '--rest-url', server.restUrl, '--markets', 'BTC,KRW-ETH', '--since', String(since), '--until', new Date(until).toISOString(), '--out', out, ...extra], cap.io);
    return { code, out: cap.out(), err: cap.err() };
  };

  const candleRequests = (market: string): { count: number; to: number }[] =>
    server
      .requestsTo(CANDLES)
      .filter((r) => r.query['market'] === market && r.status === 200)
      .map((r) => ({ count: Number(r.query['count']), to: Date.parse(String(r.query['to'])) }));

  it('downloads every closed candle of two markets into files the replay reads back', async () => {
    const out = join(root, 'fresh');
    const run = await download(out);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^BTC\/KRW: 450 candles .*BTC_KRW-1m\.csv \(3 requests\)$/m);
    expect(run.out).toMatch(/^ETH\/KRW: 450 candles .*ETH_KRW-1m\.csv \(3 requests\)$/m);
    // pages of 200, 200, 50 going forward: each request's `to` is its `since` + count minutes
    expect(candleRequests('KRW-BTC')).toEqual([
      { count: 200, to: since + 200 * MINUTE },
      { count: 200, to: since + 400 * MINUTE },
      { count: 50, to: until },
    ]);

    const text = await readFile(join(out, 'BTC_KRW-1m.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('timestamp,open,high,low,close,volume');
    const { events, stats } = await readAll([out]);
    expect(stats.files.map((f) => [f.market, f.malformed])).toEqual([
      ['BTC/KRW', 0],
      ['ETH/KRW', 0],
    ]);
    for (const market of ['BTC/KRW', 'ETH/KRW']) {
      const candles = events.filter((e): e is CandleEvent => e.kind === 'candle' && e.market === market);
      expect(candles).toHaveLength(450);
      expect(candles[0]?.openTime).toBe(since);
      expect(candles.at(-1)?.openTime).toBe(until - MINUTE);
      for (const [i, c] of candles.entries()) {
        expect(c.ts - c.openTime).toBe(MINUTE); // timeframe 1m from the file name
        if (i > 0) expect(c.openTime).toBeGreaterThan((candles[i - 1] as CandleEvent).openTime);
        expect(c.volume).toBeGreaterThan(0); // ccxt's Upbit parser drops it; the download puts it back
      }
    }
  });

  it('resumes a truncated file from its last row and ends byte-identical', async () => {
    const out = join(root, 'fresh');
    const btc = join(out, 'BTC_KRW-1m.csv');
    const eth = join(out, 'ETH_KRW-1m.csv');
    const [btcFull, ethFull] = await Promise.all([readFile(btc), readFile(eth)]);
    // header + 300 rows, then a torn line as an interrupted write leaves it
    const lines = btcFull.toString('utf8').split('\n');
    await writeFile(btc, `${lines.slice(0, 301).join('\n')}\n${lines[301]?.slice(0, 9)}`);
    const before = server.requestsTo(CANDLES).length;

    const run = await download(out);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^BTC\/KRW: 150 candles .*\(1 requests, resumed after /m);
    expect(run.out).toMatch(/^ETH\/KRW: 0 candles .*\(0 requests, resumed after /m);
    const resumed = server.requestsTo(CANDLES).slice(before);
    expect(resumed).toHaveLength(1);
    // starts at the row after the last one kept (since + 300 min), not at --since
    expect(Date.parse(String(resumed[0]?.query['to'])) - Number(resumed[0]?.query['count']) * MINUTE).toBe(since + 300 * MINUTE);
    expect((await readFile(btc)).equals(btcFull)).toBe(true);
    expect((await readFile(eth)).equals(ethFull)).toBe(true);
  });

  it('retries 429 answers and still writes every candle', async () => {
    const out = join(root, 'throttled');
    const before = server.requestsTo(CANDLES).length;
    server.failNext(429, 2, CANDLES);
    const run = await download(out);
    expect(run.code).toBe(0);
    const after = server.requestsTo(CANDLES).slice(before);
    expect(after.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
    const { events } = await readAll([out]);
    expect(events.filter((e) => e.kind === 'candle')).toHaveLength(900);
  });

  it('stops at a 418 instead of retrying into the ban', async () => {
    const out = join(root, 'banned');
    const before = server.requestsTo(CANDLES).length;
    server.failNext(418, 1, CANDLES);
    const run = await download(out);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/418/);
    expect(server.requestsTo(CANDLES).slice(before).map((r) => r.status)).toEqual([418]);
  });

  it('is a usage error without --since', async () => {
    const cap = captureIo();
    const code = await main(['data', 'download', '--rest-url', server.restUrl, '--markets', 'BTC'], cap.io);
    expect(code).toBe(2);
    expect(cap.err()).toMatch(/--since is required/);
    expect(cap.out()).toBe('');
  });
});

describe('coinrx data download (local Binance server: any ccxt exchange with fetchOHLCV)', () => {
  it('pages through Binance klines into the same CSV files, identical to the exchange’s candles', async () => {
    const { BinanceServer } = await import('../helpers/binance-server.js');
    const server = await BinanceServer.start({ enforceRateLimits: false });
    const root = await mkdtemp(join(tmpdir(), 'coinrx-download-binance-'));
    try {
      // 1,500 one-minute candles: more than one page of 1,000
      const since = Date.UTC(2024, 7, 8);
      const rows: [number, number, number, number, number, number][] = [];
      for (let i = 0; i < 1_500; i++) {
        const o = 60_000 + Math.round(Math.sin(i / 30) * 500 * 100) / 100;
        rows.push([since + i * MINUTE, o, o + 12.5, o - 7.25, o + 3.5, 1 + (i % 17) / 4]);
      }
      server.setCandles('BTCUSDT', rows);
      const cap = captureIo();
      const code = await main(['data', 'download', '--exchange', 'binance', '--quote', 'USDT', '--markets', 'BTC', '--rest-url', server.restUrl, '--since', String(since), '--until', String(since + 1_500 * MINUTE), '--out', root], cap.io);
      expect(cap.err()).not.toMatch(/error/i);
      expect(code).toBe(0);
      expect(server.requestsTo('/api/v3/klines').length).toBeGreaterThanOrEqual(2);
      const text = await readFile(join(root, 'BTC_USDT-1m.csv'), 'utf8');
      const lines = text.trim().split('\n');
      expect(lines[0]).toBe('timestamp,open,high,low,close,volume');
      expect(lines.slice(1).map((l) => l.split(',').map(Number))).toEqual(rows);
      const events = (await readAll([join(root, 'BTC_USDT-1m.csv')])).events as CandleEvent[];
      expect(events).toHaveLength(1_500);
      expect(events[0]).toMatchObject({ kind: 'candle', market: 'BTC/USDT', openTime: since, ts: since + MINUTE });
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
