import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BookTopEvent, TradeEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const UPBIT = sharedData('ws', 'upbit-2021-04', 'UPBIT.ws.62.0');
const lines = (path: string): string[] => {
  const buf = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n').filter((l) => l.length > 0);
};
const tmp = (): string => mkdtempSync(join(tmpdir(), 'coinrx-ws-'));

/** SIMPLE → DEFAULT field names of Upbit's websocket API, for the frames in the capture. */
const DEFAULT_NAMES: Record<string, string> = {
  ty: 'type', cd: 'code', tms: 'timestamp', td: 'trade_date', ttm: 'trade_time', ttms: 'trade_timestamp', tp: 'trade_price',
  tv: 'trade_volume', ab: 'ask_bid', pcp: 'prev_closing_price', c: 'change', cp: 'change_price', sid: 'sequential_id',
  st: 'stream_type', tas: 'total_ask_size', tbs: 'total_bid_size', obu: 'orderbook_units', ap: 'ask_price', bp: 'bid_price',
  as: 'ask_size', bs: 'bid_size',
};
function toDefault(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toDefault);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [DEFAULT_NAMES[k] ?? k, toDefault(x)]));
}

describe.skipIf(skipWithoutSharedData())('Upbit websocket captures', () => {
  it('reads the cryptofeed capture: every trade and orderbook frame, control lines ignored', async () => {
    const raw = lines(UPBIT);
    const { events, stats } = await readAll([UPBIT]);
    expect(stats.files[0]).toMatchObject({ format: 'ws-capture', events: 449, malformed: 0, ignored: 4 });
    expect(events.filter((e) => e.kind === 'trade')).toHaveLength(raw.filter((l) => l.includes('"ty":"trade"')).length);
    expect(events.filter((e) => e.kind === 'book')).toHaveLength(145);
    // file order is kept; the first event is the first frame
    const first = events.find((e) => e.kind === 'trade');
    expect(first).toEqual({ kind: 'trade', market: 'LAMB/KRW', ts: 1618678262712, price: 127, amount: 46.48838371, side: 'buy', id: 1618678262000003 });
    expect(events.find((e) => e.kind === 'book')).toEqual({
      kind: 'book', market: 'LAMB/KRW', ts: 1618678262640, bidPrice: 126, bidSize: 688682.44561413, askPrice: 127, askSize: 280460.37885666,
    });
    const lastFrame = JSON.parse((raw.at(-1) as string).split(": b'")[1]!.slice(0, -1)) as { tms: number; tp: number; tv: number; ab: string };
    expect(events.at(-1)).toMatchObject({ kind: 'trade', ts: lastFrame.tms, price: lastFrame.tp, amount: lastFrame.tv, side: 'sell' });
    expect(new Set(events.map((e) => e.market))).toEqual(new Set(['LAMB/KRW', 'WAVES/KRW', 'XTZ/BTC', 'ITAM/BTC', 'PAX/BTC']));
  });

  it('gives the same events from the JSON-lines copy and from DEFAULT-named frames', async () => {
    const reference = (await readAll([UPBIT])).events;
    const jsonl = sharedData('ws', 'upbit-2021-04', 'UPBIT.ws.62.0.messages.jsonl');
    expect((await readAll([jsonl])).events).toEqual(reference);
    const dir = tmp();
    const defaults = lines(jsonl).map((l) => JSON.stringify(toDefault((JSON.parse(l) as { msg: unknown }).msg)));
    writeFileSync(join(dir, 'upbit-default.jsonl'), defaults.join('\n'));
    expect((await readAll([join(dir, 'upbit-default.jsonl')])).events).toEqual(reference);
  });

  it('reads ticker frames in both namings', async () => {
    const dir = tmp();
    const simple = { ty: 'ticker', cd: 'KRW-BTC', tp: 93_000_000, atv24h: 1234.5, atp24h: 1.1e11, tms: 1_700_000_000_000, st: 'REALTIME' };
    writeFileSync(join(dir, 'tickers.jsonl'), `${JSON.stringify(simple)}\n${JSON.stringify({ ...(toDefault(simple) as object), acc_trade_volume_24h: 1234.5, acc_trade_price_24h: 1.1e11, timestamp: 1_700_000_000_001 })}\n{"status":"UP"}\n`);
    const { events, stats } = await readAll([join(dir, 'tickers.jsonl')]);
    expect(events).toEqual([
      { kind: 'ticker', market: 'BTC/KRW', ts: 1_700_000_000_000, price: 93_000_000, volume24h: 1234.5, value24h: 1.1e11 },
      { kind: 'ticker', market: 'BTC/KRW', ts: 1_700_000_000_001, price: 93_000_000, volume24h: 1234.5, value24h: 1.1e11 },
    ]);
    expect(stats.files[0]?.ignored).toBe(1);
  });
});

const HFT = (name: string): string => sharedData('ws', 'binance-2024-08', name);
interface Frame {
  stream?: string;
  data?: Record<string, unknown>;
  lastUpdateId?: number;
  bids?: [string, string][];
  asks?: [string, string][];
  E?: number;
  T?: number;
}
const frames = (name: string): { recvNs: string; f: Frame }[] =>
  lines(HFT(name)).map((l) => {
    const sp = l.indexOf(' ');
    return { recvNs: l.slice(0, sp), f: JSON.parse(l.slice(sp + 1)) as Frame };
  });

/** Brute-force book tops: Maps of levels, best found by scanning every level after each applied diff. */
function referenceDepthTops(fs: { f: Frame }[], market: string): Omit<BookTopEvent, 'kind'>[] {
  const snapAt = fs.findIndex((x) => x.f.lastUpdateId !== undefined);
  const snap = fs[snapAt]?.f as Frame;
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  for (const [p, q] of snap.bids ?? []) bids.set(Number(p), Number(q));
  for (const [p, q] of snap.asks ?? []) asks.set(Number(p), Number(q));
  let lastU = snap.lastUpdateId as number;
  const tops: Omit<BookTopEvent, 'kind'>[] = [];
  const top = (ts: number): void => {
    let bidPrice = -Infinity;
    let askPrice = Infinity;
    for (const [p, q] of bids) if (q > 0 && p > bidPrice) bidPrice = p;
    for (const [p, q] of asks) if (q > 0 && p < askPrice) askPrice = p;
    const t = { market, ts, bidPrice, bidSize: bids.get(bidPrice) as number, askPrice, askSize: asks.get(askPrice) as number };
    const prev = tops.at(-1);
    if (prev === undefined || prev.bidPrice !== t.bidPrice || prev.bidSize !== t.bidSize || prev.askPrice !== t.askPrice || prev.askSize !== t.askSize) tops.push(t);
  };
  let pendingTs: number | undefined;
  fs.forEach(({ f }, i) => {
    if (i === snapAt) {
      // diffs buffered before the snapshot are applied with it: one top, at the last one's time
      const ts = pendingTs ?? snap.T ?? snap.E;
      if (ts !== undefined) top(ts);
      return;
    }
    const d = f.data;
    if (f.stream?.includes('@depth') !== true || d === undefined) return;
    if ((d['u'] as number) <= lastU) return;
    for (const [p, q] of d['b'] as [string, string][]) bids.set(Number(p), Number(q));
    for (const [p, q] of d['a'] as [string, string][]) asks.set(Number(p), Number(q));
    lastU = d['u'] as number;
    const ts = (d['T'] ?? d['E']) as number;
    if (i < snapAt) pendingTs = ts;
    else top(ts);
  });
  return tops;
}

describe.skipIf(skipWithoutSharedData())('Binance websocket captures', () => {
  it('reads every trade frame at its exchange time, the same trades as the trades extract', async () => {
    const fs = frames('usdm_btcusdt_20240808.gz');
    const { events, stats } = await readAll([HFT('usdm_btcusdt_20240808.gz')]);
    expect(stats.files[0]).toMatchObject({ market: 'BTC/USDT:USDT', malformed: 0, gaps: 0 });
    const trades = events.filter((e): e is TradeEvent => e.kind === 'trade');
    expect(trades).toHaveLength(fs.filter((x) => x.f.data?.['e'] === 'trade').length);
    const extract = await readAll([sharedData('trades', 'binance-2024-08-08-trades.csv.gz')]);
    expect(trades).toEqual(extract.events.filter((e) => e.market === 'BTC/USDT:USDT'));
    // futures bookTicker carries T: every one is a book event at T
    const tickers = fs.filter((x) => x.f.data?.['e'] === 'bookTicker');
    const books = events.filter((e): e is BookTopEvent => e.kind === 'book');
    expect(books.length).toBeGreaterThanOrEqual(tickers.length);
    const firstTicker = tickers[0]?.f.data as Record<string, string | number>;
    expect(books.find((b) => b.ts === firstTicker['T'] && b.bidPrice === Number(firstTicker['b']))).toEqual({
      kind: 'book', market: 'BTC/USDT:USDT', ts: firstTicker['T'], bidPrice: 61800.2, bidSize: 2.507, askPrice: 61800.3, askSize: 2.51,
    });
  });

  it('stamps spot bookTicker frames (no exchange time) never before a trade received earlier', async () => {
    const fs = frames('spot_btcusdt_20240808.gz');
    const { events } = await readAll([HFT('spot_btcusdt_20240808.gz')], { depthTops: false });
    const tickerCount = fs.filter((x) => x.f.stream?.endsWith('@bookTicker') === true).length;
    expect(events.filter((e) => e.kind === 'book')).toHaveLength(tickerCount);
    let latestTradeTime = -Infinity;
    let earlier = 0;
    for (const e of events) {
      if (e.kind === 'trade') latestTradeTime = Math.max(latestTradeTime, e.ts);
      else if (latestTradeTime > -Infinity && e.ts < latestTradeTime) earlier++;
    }
    expect(earlier).toBe(0);
    // stamped with the raw recorder clock (≈1.27 s behind the exchange's) most of them would be
    let rawEarlier = 0;
    latestTradeTime = -Infinity;
    for (const { recvNs, f } of fs) {
      if (f.data?.['e'] === 'trade') latestTradeTime = Math.max(latestTradeTime, f.data['T'] as number);
      else if (f.stream?.endsWith('@bookTicker') === true && Number(recvNs) / 1e6 < latestTradeTime) rawEarlier++;
    }
    expect(rawEarlier).toBeGreaterThan(tickerCount / 2);
  });

  it('rebuilds the depth book from snapshot + diffs and emits the tops a brute-force book gives', async () => {
    for (const name of ['spot_btcusdt_20240808.gz', 'usdm_btcusdt_20240808.gz']) {
      const fs = frames(name);
      const dir = tmp();
      const depthOnly = lines(HFT(name)).filter((l) => l.includes('"lastUpdateId"') || l.includes('@depth'));
      writeFileSync(join(dir, name), gzipSync(depthOnly.join('\n')));
      const { events, stats } = await readAll([join(dir, name)]);
      const market = name.startsWith('usdm') ? 'BTC/USDT:USDT' : 'BTC/USDT';
      expect(stats.files[0]?.gaps).toBe(0);
      const expected = referenceDepthTops(fs, market).map((t) => ({ kind: 'book', ...t }));
      expect(expected.length).toBeGreaterThan(1000);
      expect(events).toEqual(expected);
    }
  });

  it('emits no depth tops without a snapshot, and none after a sequence gap until the next snapshot', async () => {
    const name = 'spot_ethusdt_20240808.gz';
    const all = lines(HFT(name)).filter((l) => l.includes('"lastUpdateId"') || l.includes('@depth'));
    const dir = tmp();
    writeFileSync(join(dir, 'nosnap_ethusdt.gz'), gzipSync(all.filter((l) => !l.includes('"lastUpdateId"')).join('\n')));
    expect((await readAll([join(dir, 'nosnap_ethusdt.gz')])).events).toEqual([]);
    // drop one diff well after the snapshot: tops stop at the gap
    const snapAt = all.findIndex((l) => l.includes('"lastUpdateId"'));
    const dropAt = snapAt + 500;
    writeFileSync(join(dir, 'gap_ethusdt.gz'), gzipSync(all.filter((_, i) => i !== dropAt).join('\n')));
    const gapped = await readAll([join(dir, 'gap_ethusdt.gz')]);
    expect(gapped.stats.files[0]?.gaps).toBe(1);
    const dropped = JSON.parse((all[dropAt] as string).slice((all[dropAt] as string).indexOf(' ') + 1)) as { data: { E: number } };
    expect(gapped.events.length).toBeGreaterThan(100);
    expect(gapped.events.every((e) => e.ts < dropped.data.E)).toBe(true);
  });

  it('reads the cryptofeed Binance capture: aggTrade and bookTicker; a closed kline becomes a candle at its close', async () => {
    const path = sharedData('ws', 'binance-2021-10', 'BINANCE.ws.1.0');
    const { events, stats } = await readAll([path]);
    expect(stats.files[0]?.malformed).toBe(0);
    expect(events.filter((e) => e.kind === 'trade')).toEqual([
      { kind: 'trade', market: 'NKN/USDT', ts: 1633998523963, price: 0.3528, amount: 58, side: 'buy', id: 15683430 },
      { kind: 'trade', market: 'LRC/BTC', ts: 1633998534486, price: 0.00000638, amount: 177, side: 'buy', id: 9213679 },
    ]);
    expect(events.filter((e) => e.kind === 'book')).toHaveLength(lines(path).filter((l) => l.includes('@bookTicker","data"')).length);
    expect(events.filter((e) => e.kind === 'candle')).toHaveLength(0); // its klines are all still open
    const kline = lines(path).find((l) => l.includes('"e":"kline"'))!.replace('"x":false', '"x":true');
    const dir = tmp();
    writeFileSync(join(dir, 'closed-kline'), `${kline}\n`);
    const closed = await readAll([join(dir, 'closed-kline')]);
    expect(closed.events).toEqual([
      { kind: 'candle', market: 'NKN/USDT', ts: 1633998540000, openTime: 1633998480000, open: 0.3527, high: 0.3528, low: 0.3522, close: 0.3528, volume: 25877 },
    ]);
  });

  it('skips the REST-answer captures and other non-stream files when reading a whole folder', async () => {
    const { stats } = await readAll([sharedData('ws')]);
    expect(stats.skipped.map((s) => s.split(':')[0]?.split('/').pop())).toEqual(['BINANCE.http.0.0', 'UPBIT.0']);
    expect(stats.malformed).toBe(0);
    expect(stats.events).toBeGreaterThan(200_000);
    expect(stats.outOfOrder).toBeGreaterThan(0); // captures go back in time a little
  });

  it('merges all captures into one non-decreasing stream with a reorder window, losing nothing', async () => {
    const plain = await readAll([sharedData('ws')]);
    const { events, stats } = await readAll([sharedData('ws')], { reorderWindowMs: 1000 });
    expect(stats.outOfOrder).toBe(0);
    expect(events.length).toBe(plain.events.length);
    let back = 0;
    for (let i = 1; i < events.length; i++) if ((events[i]?.ts as number) < (events[i - 1]?.ts as number)) back++;
    expect(back).toBe(0);
    const key = (e: { ts: number; kind: string; market: string }): string => `${e.ts}|${e.kind}|${e.market}|${JSON.stringify(e)}`;
    expect(events.map(key).sort()).toEqual(plain.events.map(key).sort());
  });
});


describe('capture receive stamps in any unit', () => {
  it('reads s, ms, µs and ns stamps, with or without a colon or as JSON lines, as the same events', async () => {
    const dir = tmp();
    const recvMs = [1723161254000, 1723161254100, 1723161254250, 1723161254300];
    // A spot bookTicker has no exchange time: stamped from the receive time (shifted by the trades' E − receive).
    const book = (u: number, bid: string): string => JSON.stringify({ stream: 'ethusdt@bookTicker', data: { u, s: 'ETHUSDT', b: bid, B: '1.5', a: '2684.00', A: '2' } });
    const frames = [
      book(1, '2683.80'),
      JSON.stringify({ stream: 'ethusdt@trade', data: { e: 'trade', E: 1723161255371, s: 'ETHUSDT', t: 7, p: '2683.90', q: '0.25', T: 1723161255370, m: true } }),
      book(2, '2683.90'),
      book(3, '2683.95'),
    ];
    const forms: Record<string, (ms: number, frame: string) => string> = {
      'ns (hftbacktest)': (ms, frame) => `${ms}000000 ${frame}`,
      µs: (ms, frame) => `${ms}000 ${frame}`,
      ms: (ms, frame) => `${ms} ${frame}`,
      's with a colon (cryptofeed)': (ms, frame) => `${ms / 1000}: ${frame}`,
      'JSON lines in s': (ms, frame) => JSON.stringify({ recv_ts: ms / 1000, msg: JSON.parse(frame) as unknown }),
      'JSON lines in ms': (ms, frame) => JSON.stringify({ recv_ts: ms, msg: JSON.parse(frame) as unknown }),
    };
    const read: Record<string, unknown[]> = {};
    for (const [what, form] of Object.entries(forms)) {
      const file = join(dir, `spot_ethusdt_${Object.keys(read).length}.txt`);
      writeFileSync(file, `${frames.map((f, i) => form(recvMs[i] as number, f)).join('\n')}\n`);
      const { events, stats } = await readAll([file]);
      expect(stats.malformed, what).toBe(0);
      read[what] = events;
    }
    const expected = read['ns (hftbacktest)'] as BookTopEvent[];
    // Before any timed frame the receive time as is; after the trade, shifted to the exchange's clock (+1271 ms).
    expect(expected.map((e) => [e.kind, e.ts])).toEqual([['book', 1723161254000], ['trade', 1723161255370], ['book', 1723161255521], ['book', 1723161255571]]);
    for (const [what, events] of Object.entries(read)) expect(events, what).toEqual(expected);
  });
});
