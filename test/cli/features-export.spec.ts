import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableFromIPC } from 'apache-arrow';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { estimateRecords } from '../../src/cli/input-records-estimate.js';
import { SNAPSHOT_FIELDS, snapshotSerializer, WINDOW_STATS, type FeatureSelection } from '../../src/cli/output.js';
import { PackedRowJson } from '../../src/cli/packed-row-json.js';
import { SnapshotPacker } from '../../src/cli/snapshot-rows.js';
import { parseConfig } from '../../src/config.js';
import { WINDOWS, type FeatureSnapshot, type MarketEvent } from '../../src/core/index.js';
import { marketPipeline } from '../../src/engine/market-pipeline.js';
import { captureIo } from '../helpers/capture-io.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { readAll } from '../../src/market-data/index.js';

/** Two coins of 5m candles over two days, gzip'd like the shared data; made here so a fresh clone runs it. */
function writeCandles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-features-'));
  const start = Date.UTC(2024, 0, 1);
  for (const [name, drift] of [['UP_KRW', 1.001], ['DOWN_KRW', 0.999]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 10_000;
    for (let i = 0; i < 576; i++) {
      const next = price * drift;
      rows.push(`${start + i * 300_000},${price},${Math.max(price, next) + 5},${Math.min(price, next) - 5},${next},${10 + (i % 7) / 3}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv.gz`), gzipSync(`${rows.join('\n')}\n`));
  }
  return dir;
}

const ALL: FeatureSelection = { fields: SNAPSHOT_FIELDS, windows: WINDOWS, stats: WINDOW_STATS };

/** The reference: the selected keys picked from the snapshot, through JSON.stringify. */
function picked(s: FeatureSnapshot, sel: FeatureSelection): string {
  const o: Record<string, unknown> = { market: s.market, ts: s.ts };
  for (const f of SNAPSHOT_FIELDS) {
    if (!sel.fields.includes(f)) continue;
    if (f === 'windows') o[f] = Object.fromEntries(sel.windows.map((w) => [w, Object.fromEntries(sel.stats.map((k) => [k, s.windows[w][k]]))]));
    else o[f] = s[f];
  }
  return JSON.stringify(o);
}

/** Snapshots packed in batches of `capacity`, each batch copied as a thread receives it, and written by PackedRowJson as one text. */
function packedLines(snapshots: readonly FeatureSnapshot[], sel: FeatureSelection, capacity: number): string {
  const packer = new SnapshotPacker(capacity);
  const lines = new PackedRowJson(sel);
  const chunks: string[] = [];
  const flush = (): void => {
    const batch = structuredClone(packer.take());
    let out = new Uint8Array(64);
    let at = lines.write(batch, out, 0);
    while (at < 0) at = lines.write(batch, (out = new Uint8Array(2 * out.length)), 0);
    chunks.push(Buffer.from(out.buffer, 0, at).toString('utf8'));
  };
  for (const s of snapshots) if (!packer.add(s)) (flush(), packer.add(s));
  flush();
  const text = chunks.join('');
  // `chars` counts what the lines measure as a string, once a batch however often it was written again.
  expect(lines.chars).toBe(text.length);
  return text;
}

/** A seeded generator (mulberry32): the same random cases every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Numbers of every kind JSON.stringify writes differently: not finite, -0, whole, short decimals, any 64 bits, both ends of plain notation. */
function oddNumber(next: () => number): number {
  const bits = new DataView(new ArrayBuffer(8));
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e-6, 1e-7, 9.99999e-7, 1e21, 1e15, 1e15 - 1, 2 ** 53, 2 ** 31, Number.MIN_VALUE, Number.MAX_VALUE, 0.1 + 0.2, 5e-324, 123456789.12345678];
  const sign = next() < 0.2 ? -1 : 1;
  switch (Math.floor(next() * 7)) {
    case 0:
      return special[Math.floor(next() * special.length)] as number;
    case 1:
      return sign * Math.floor(next() * 10 ** Math.floor(next() * 18));
    case 2:
      // A whole number of 10^-k (prices and volumes from a file), near where plain and 15-digit notation end.
      return (sign * Math.floor(next() * 10 ** Math.floor(next() * 17))) / 10 ** Math.floor(next() * 12);
    case 3:
      bits.setUint32(0, Math.floor(next() * 2 ** 32));
      bits.setUint32(4, Math.floor(next() * 2 ** 32));
      return bits.getFloat64(0);
    case 4:
      return sign * next() * 10 ** (Math.floor(next() * 40) - 20);
    case 5:
      // Sums and ratios as the windows make them.
      return (next() * 1000 + next() * 0.001) / (next() * 7 + 0.5);
    default:
      return sign * Math.round(next() * 1e8) * 10 ** (Math.floor(next() * 10) - 8);
  }
}

function snapshotsOf(events: readonly MarketEvent[], everyMs: number): FeatureSnapshot[] {
  const events$ = new Subject<MarketEvent>();
  const pipeline = marketPipeline(events$, parseConfig({}), { everyMs });
  const out: FeatureSnapshot[] = [];
  pipeline.batches$.subscribe((b) => out.push(...b.snapshots));
  for (const e of events) events$.next(e);
  events$.complete();
  return out;
}

describe('feature export', () => {
  it('the serialiser writes what JSON.stringify writes, for every selection', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const events: MarketEvent[] = [];
    for (let i = 0; i < 3000; i++) events.push({ kind: 'trade', market: i % 3 === 0 ? 'A"B/KRW' : 'BTC/KRW', ts: t0 + i * 997, price: 100 + Math.sin(i) * 3 + i / 7, amount: 0.001 * ((i * 7919) % 13) });
    const snapshots = snapshotsOf(events, 1000);
    expect(snapshots.length).toBeGreaterThan(5000);
    const odd = snapshots[10] as FeatureSnapshot;
    const extremes: FeatureSnapshot[] = [
      { ...odd, volatility: Number.NaN, high: Number.POSITIVE_INFINITY, low: -0, touch: { bidPrice: 1e-9, bidSize: 2, askPrice: 1.5e21, askSize: Number.NaN } },
    ];
    const selections: FeatureSelection[] = [
      ALL,
      { fields: ['price', 'windows'], windows: ['1m', '1d'], stats: ['vwap'] },
      { fields: ['windows', 'regime', 'touch'], windows: ['1M'], stats: ['value', 'trades'] },
      { fields: ['low', 'high'], windows: WINDOWS, stats: WINDOW_STATS },
    ];
    for (const sel of selections) {
      const write = snapshotSerializer(sel);
      for (const s of [...snapshots, ...extremes]) expect(write(s)).toBe(picked(s, sel));
    }
    expect(snapshotSerializer(ALL)(extremes[0] as FeatureSnapshot)).toBe(JSON.stringify(extremes[0]));
  });

  it('packed rows written as JSON lines are the bytes JSON.stringify writes for each snapshot', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const events: MarketEvent[] = [];
    for (let i = 0; i < 2000; i++) events.push({ kind: 'trade', market: ['BTC/KRW', 'ETH/KRW', 'X\u00e9/KRW'][i % 3] as string, ts: t0 + i * 1999, price: 100 + Math.cos(i) * 5, amount: 0.01 * (i % 11) });
    const snapshots = snapshotsOf(events, 1000);
    const odd = snapshots[3] as FeatureSnapshot;
    snapshots.push({ ...odd, volatility: Number.NaN, touch: { bidPrice: 99, bidSize: 1.5, askPrice: 101, askSize: Number.POSITIVE_INFINITY } });
    expect(packedLines(snapshots, ALL, 100)).toBe(snapshots.map((s) => `${JSON.stringify(s)}\n`).join(''));
  });

  it('packed rows written for a selection are what the serialiser writes for it', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const events: MarketEvent[] = [];
    for (let i = 0; i < 1500; i++) events.push({ kind: 'trade', market: ['BTC/KRW', 'ETH/KRW'][i % 2] as string, ts: t0 + i * 1499, price: 50 + Math.sin(i) * 2, amount: 0.02 * (i % 7) });
    const snapshots = snapshotsOf(events, 1000);
    snapshots.push({ ...(snapshots[5] as FeatureSnapshot), high: Number.POSITIVE_INFINITY, touch: { bidPrice: 49, bidSize: 1, askPrice: 51, askSize: 2.5 } });
    const selections: FeatureSelection[] = [
      { fields: ['price', 'windows'], windows: ['1m', '1d'], stats: ['vwap'] },
      { fields: ['windows', 'regime', 'touch'], windows: ['1M'], stats: ['value', 'trades'] },
      { fields: ['low', 'high', 'touch'], windows: WINDOWS, stats: WINDOW_STATS },
      { fields: ['price', 'windows', 'volatility', 'position'], windows: WINDOWS, stats: ['vwap', 'volume', 'value', 'trades'] },
      { fields: ['windows'], windows: WINDOWS, stats: ['vwap', 'volume'] },
    ];
    for (const sel of selections) {
      const write = snapshotSerializer(sel);
      expect(packedLines(snapshots, sel, 64)).toBe(snapshots.map((s) => `${write(s)}\n`).join(''));
    }
  });

  it('packed rows of random numbers and market names are written as JSON.stringify writes them', () => {
    const next = random(19);
    const names = ['BTC/KRW', 'A"B/KRW', 'back\\slash/USDT', 'new\nline/KRW', 'tab\t\u0001/KRW', 'X\u00e9/KRW', '\u20ac/\u{1f600}', 'lone\ud800/KRW', '\u2028/KRW'];
    const regimes = [{ '1h': 'flat', '6h': 'up' }, { '1h': 'down"', '6h': '\u00e9' }];
    const snapshots: FeatureSnapshot[] = [];
    for (let i = 0; i < 3000; i++) {
      // Neighbouring windows often equal (1m, 3m and 5m of one candle): half the time a figure repeats the window before's.
      let last = { vwap: oddNumber(next), volume: oddNumber(next), value: oddNumber(next), trades: oddNumber(next) };
      const windows = Object.fromEntries(
        WINDOWS.map((w) => {
          if (next() >= 0.5) last = { vwap: oddNumber(next), volume: next() < 0.5 ? last.volume : oddNumber(next), value: oddNumber(next), trades: oddNumber(next) };
          return [w, { ...last }];
        }),
      ) as unknown as FeatureSnapshot['windows'];
      const s = { market: names[i % names.length] as string, ts: next() < 0.9 ? Date.UTC(2021, 0, 1) + Math.floor(next() * 1e10) : oddNumber(next), price: oddNumber(next), windows, volatility: oddNumber(next), position: oddNumber(next), high: oddNumber(next), low: oddNumber(next), regime: regimes[i % 2] as Readonly<Record<string, string>> };
      snapshots.push((next() < 0.3 ? { ...s, touch: { bidPrice: oddNumber(next), bidSize: oddNumber(next), askPrice: oddNumber(next), askSize: oddNumber(next) } } : s) as FeatureSnapshot);
    }
    expect(packedLines(snapshots, ALL, 257)).toBe(snapshots.map((s) => `${JSON.stringify(s)}\n`).join(''));
    const pair: FeatureSelection = { fields: ['windows'], windows: WINDOWS, stats: ['vwap', 'volume'] };
    expect(packedLines(snapshots, pair, 1000)).toBe(snapshots.map((s) => `${picked(s, pair)}\n`).join(''));
    const some: FeatureSelection = { fields: ['price', 'windows', 'regime', 'touch'], windows: ['3m', '1h', '1M'], stats: ['volume', 'trades'] };
    expect(packedLines(snapshots, some, 3000)).toBe(snapshots.map((s) => `${picked(s, some)}\n`).join(''));
  });

  it('a file written through the worker thread holds the bytes written to stdout', async () => {
    const dir = writeCandles();
    const stdout = captureIo();
    expect(await main(['features', '--data', dir, '--every', '5m'], stdout.io)).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'f.jsonl');
    expect(await main(['features', '--data', dir, '--every', '5m', '--out', file], captureIo().io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(stdout.out());
    // A folder that does not exist yet is made (as backtest makes its --out); one that cannot be is named in one line.
    const made = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'no-such-dir', 'f.jsonl');
    expect(await main(['features', '--data', dir, '--every', '5m', '--out', made], captureIo().io)).toBe(0);
    expect(readFileSync(made, 'utf8')).toBe(stdout.out());
    const bad = captureIo();
    expect(await main(['features', '--data', dir, '--out', join(made, 'f.jsonl')], bad.io)).toBe(1);
    expect(bad.err().trim().split('\n')).toEqual([expect.stringMatching(/no-such-dir\/f\.jsonl\/f\.jsonl: cannot make the folder .* \(a file is in the way\)$/)]);
  });

  it('--windows and --fields write only what is named; the size estimate comes first', async () => {
    const dir = writeCandles();
    const out = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'f.jsonl');
    const { io, err } = captureIo();
    expect(await main(['features', '--data', dir, '--every', '5m', '--windows', '1h,1d', '--fields', 'price', 'vwap', 'volume', '--out', out], io)).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(2 * 576);
    expect(Object.keys(lines[0] as object)).toEqual(['market', 'ts', 'price', 'windows']);
    expect(Object.keys((lines[0] as { windows: object }).windows)).toEqual(['1h', '1d']);
    expect(Object.keys((lines[0] as { windows: Record<string, object> }).windows['1d'] as object)).toEqual(['vwap', 'volume']);
    const told = /about ([\d,]+) snapshots × (\d+) bytes/.exec(err());
    expect(err().indexOf('about')).toBeLessThan(err().indexOf('read 1152 events'));
    const estimated = Number(told?.[1]?.replaceAll(',', '')) * Number(told?.[2]);
    expect(Math.abs(estimated / statSync(out).size - 1)).toBeLessThan(0.1);
  });

  it('the size estimate counts only a closed time range, and says "at most" for an open one', async () => {
    const dir = writeCandles();
    const closed = captureIo();
    const out = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'f.jsonl');
    // Two coins of 5m candles over two days; six hours of the second day at --every 1h: 2 × 6 snapshots.
    expect(await main(['features', '--data', dir, '--every', '1h', '--from', '2024-01-02T00:00Z', '--to', '2024-01-02T06:00Z', '--out', out], closed.io)).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(12);
    expect(closed.err()).toMatch(/features: about 12 snapshots × \d+ bytes/);
    const open = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1h', '--from', '2024-01-02', '--out', out], open.io)).toBe(0);
    expect(open.err()).toMatch(/features: at most 96 snapshots × \d+ bytes .*all of it: the time range writes only its part/);
  });

  it('says "at most" for trades, whose snapshots are one a record only at the finest cadence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-features-trades-'));
    // Binance's public trades, 600 of them over ten minutes: one snapshot a minute, not one a trade.
    const rows = Array.from({ length: 600 }, (_, i) => `${1000 + i},${(100 + (i % 7) / 10).toFixed(1)},0.5,50.0,${1_704_067_200_000 + i * 1000},${i % 2 === 0 ? 'True' : 'False'},True`);
    writeFileSync(join(dir, 'BTCUSDT-trades-2024-01-01.csv'), `${rows.join('\n')}\n`);
    const out = join(dir, 'f.jsonl');
    const c = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1m', '--out', out], c.io), c.err()).toBe(0);
    // Each minute's boundary from the first trade's (on one) to the last's, the end's partial minute included.
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(11);
    expect(c.err()).toMatch(/features: at most 600 snapshots × \d+ bytes .*one a trade or record: fewer when several fall between snapshots/);
  });

  it('refuses an unknown window or field with one line naming it', async () => {
    const dir = writeCandles();
    for (const [flag, value] of [['--windows', '2h'], ['--fields', 'vwapp']] as const) {
      const { io, err, out } = captureIo();
      expect(await main(['features', '--data', dir, flag, value], io)).toBe(2);
      expect(err()).toContain(`"${value}"`);
      expect(err().trim().split('\n')).toHaveLength(1);
      expect(out()).toBe('');
    }
  });

  it('a file formatted by two threads in turn holds the bytes written to stdout, markets first seen in later batches included', async () => {
    // Six coins, each starting later than the one before: about 14,700 lines, several batches of 4,096, and
    // markets (and regime records) first met in batches the second thread formats.
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-features-late-'));
    const start = Date.UTC(2024, 0, 1);
    for (let c = 0; c < 6; c++) {
      const rows = ['timestamp,open,high,low,close,volume'];
      let price = 100 * (c + 1);
      for (let i = c * 400; i < 3456; i++) {
        const next = price * (1 + (((i * 7 + c) % 11) - 5) / 1000);
        rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${1 + ((i + c) % 5)}`);
        price = next;
      }
      writeFileSync(join(dir, `L${c}_KRW-5m.csv.gz`), gzipSync(`${rows.join('\n')}\n`));
    }
    const stdout = captureIo();
    expect(await main(['features', '--data', dir, '--every', '5m'], stdout.io)).toBe(0);
    expect(stdout.out().split('\n').length).toBeGreaterThan(3 * 4096);
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'late.jsonl');
    expect(await main(['features', '--data', dir, '--every', '5m', '--out', file], captureIo().io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(stdout.out());
  });

  it('an .arrow file holds the same values as the JSON lines, one column each', async () => {
    const dir = writeCandles();
    const json = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1h'], json.io)).toBe(0);
    const rows = json.out().trim().split('\n').map((l) => JSON.parse(l) as FeatureSnapshot);
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'f.arrow');
    expect(await main(['features', '--data', dir, '--every', '1h', '--out', file], captureIo().io)).toBe(0);
    const table = tableFromIPC(readFileSync(file));
    expect(table.numRows).toBe(rows.length);
    const names = table.schema.fields.map((f) => f.name);
    expect(names.slice(0, 4)).toEqual(['market', 'ts', 'price', 'vwap_1m']);
    expect(names).toContain('trades_1M');
    expect(names).toContain('regime_24h');
    for (const [i, row] of table.toArray().entries()) {
      const r = row as Record<string, unknown>;
      const s = rows[i] as FeatureSnapshot;
      expect(r['market']).toBe(s.market);
      expect(r['ts']).toBe(s.ts);
      expect(r['price']).toBe(s.price);
      expect(r['volume_1d']).toBe(s.windows['1d'].volume);
      expect(r['trades_1w']).toBe(s.windows['1w'].trades);
      expect(r['position']).toBe(s.position);
      expect(r['regime_6h']).toBe(s.regime['6h']);
      expect(r['touch_bidPrice']).toBeNull();
    }
  });

  it('an .arrow file has a touch where the snapshot has one and a null where it has none', async () => {
    // A Binance capture made here: BTC with book tops (a print below the bid makes its touch stale until the
    // next top), ETH with trades only.
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-features-touch-'));
    const t0 = Date.UTC(2024, 7, 8);
    const lines: string[] = [];
    const frame = (ms: number, stream: string, data: Record<string, unknown>): void => {
      lines.push(`${ms * 1e6} ${JSON.stringify({ stream, data })}`);
    };
    for (let i = 0; i < 40; i++) {
      const ms = t0 + i * 250;
      const bid = 60_000 + i;
      if (i % 4 !== 3) frame(ms, 'btcusdt@bookTicker', { u: i + 1, s: 'BTCUSDT', b: `${bid}`, B: '1.5', a: `${bid + 1}`, A: `${2 + i / 10}` });
      frame(ms + 1, 'btcusdt@trade', { e: 'trade', E: ms + 1, s: 'BTCUSDT', t: 100 + i, p: `${i % 5 === 0 ? bid - 50 : bid}`, q: '0.01', T: ms + 1, m: true });
      frame(ms + 2, 'ethusdt@trade', { e: 'trade', E: ms + 2, s: 'ETHUSDT', t: 500 + i, p: `${2500 + i}`, q: '0.1', T: ms + 2, m: false });
    }
    writeFileSync(join(dir, 'spot_capture.txt.gz'), gzipSync(`${lines.join('\n')}\n`));
    const json = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1s'], json.io)).toBe(0);
    const rows = json.out().trim().split('\n').map((l) => JSON.parse(l) as FeatureSnapshot);
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'touch.arrow');
    expect(await main(['features', '--data', dir, '--every', '1s', '--out', file], captureIo().io)).toBe(0);
    const table = tableFromIPC(readFileSync(file));
    expect(table.numRows).toBe(rows.length);
    const withTouch = rows.filter((s) => s.touch !== undefined).length;
    expect(withTouch).toBeGreaterThan(0);
    expect(withTouch).toBeLessThan(rows.length);
    for (const [i, row] of table.toArray().entries()) {
      const r = row as Record<string, unknown>;
      const s = rows[i] as FeatureSnapshot;
      expect(r['market']).toBe(s.market);
      expect(r['ts']).toBe(s.ts);
      expect(r['vwap_1m']).toBe(s.windows['1m'].vwap);
      expect(r['touch_bidPrice']).toBe(s.touch?.bidPrice ?? null);
      expect(r['touch_askSize']).toBe(s.touch?.askSize ?? null);
    }
  });

  it('an .arrow file of more rows than one record batch holds every row in order', async () => {
    // 120 coins of two days of 5m candles: 69,120 snapshots, two record batches of 65,536 rows at most.
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-features-many-'));
    const start = Date.UTC(2024, 0, 1);
    for (let c = 0; c < 120; c++) {
      const rows = ['timestamp,open,high,low,close,volume'];
      for (let i = 0; i < 576; i++) rows.push(`${start + i * 300_000},${100 + c},${103 + c},${99 + c},${100 + c + (i % 3)},${1 + c}`);
      writeFileSync(join(dir, `C${String(c).padStart(3, '0')}LONGERNAME_KRW-5m.csv.gz`), gzipSync(`${rows.join('\n')}\n`));
    }
    const args = ['features', '--data', dir, '--every', '5m', '--windows', '1h', '--fields', 'vwap,regime'];
    const json = captureIo();
    expect(await main(args, json.io)).toBe(0);
    const rows = json.out().trim().split('\n').map((l) => JSON.parse(l) as FeatureSnapshot);
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-features-out-')), 'many.arrow');
    expect(await main([...args, '--out', file], captureIo().io)).toBe(0);
    const table = tableFromIPC(readFileSync(file));
    expect(rows.length).toBe(69_120);
    expect(table.numRows).toBe(rows.length);
    expect(table.batches.length).toBe(2);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['market', 'ts', 'vwap_1h', 'regime_1h', 'regime_6h', 'regime_12h', 'regime_24h']);
    const market = table.getChild('market');
    const ts = table.getChild('ts');
    const vwap = table.getChild('vwap_1h');
    const regime = table.getChild('regime_24h');
    for (let i = 0; i < rows.length; i++) {
      const s = rows[i] as FeatureSnapshot;
      expect(market?.get(i)).toBe(s.market);
      expect(ts?.get(i)).toBe(s.ts);
      expect(vwap?.get(i)).toBe(s.windows['1h'].vwap);
      expect(regime?.get(i)).toBe(s.regime['24h']);
    }
  });

  it('estimates a file\'s records from its size, gzip or plain, within a few percent', async () => {
    const dir = writeCandles();
    const exact = 577;
    const gz = await estimateRecords(join(dir, 'UP_KRW-5m.csv.gz'));
    expect(Math.abs((gz as number) / exact - 1)).toBeLessThan(0.05);
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, `${Array.from({ length: 100 }, (_, i) => `${i},1,2,3`).join('\n')}\n`);
    expect(Math.abs((await estimateRecords(plain) as number) / 100 - 1)).toBeLessThan(0.05);
    writeFileSync(plain, '[[1,2],[3,4]]');
    expect(await estimateRecords(plain)).toBeUndefined();
    writeFileSync(plain, '');
    expect(await estimateRecords(plain)).toBe(0);
  });
});

describe('coinrx features on a capture whose frames are not in time order', () => {
  it.skipIf(skipWithoutSharedData())('writes the features the backtest engine trades on: trades behind a bookTicker stamped ahead of them are fed at its time, not dropped', async () => {
    // Spot bookTicker frames carry no exchange time: stamped from their receive time, they run ahead of
    // the trades received after them (5,867 of this file's events are older than the one before).
    const file = sharedData('ws', 'binance-2024-08', 'spot_ethusdt_20240808.gz');
    const out = join(mkdtempSync(join(tmpdir(), 'coinrx-features-late-')), 'f.jsonl');
    const c = captureIo();
    expect(await main(['features', '--data', file, '--every', '1s', '--out', out], c.io), c.err()).toBe(0);
    expect(c.err()).toMatch(/0 duplicate events dropped; [1-9]\d* event\(s\) older than the one before them fed at the later time, as a backtest feeds them/);
    const written = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { market: string; ts: number; windows: Record<string, { volume: number; trades: number }> });

    // The reference: the engine of a backtest fed the same events (kernel.feed), its own feature batches.
    const { events } = await readAll([file]);
    const run = createBacktest(parseConfig({ features: { every: '1s' } }), 'USDT', (events[0] as MarketEvent).ts);
    const engine: { market: string; ts: number; volume: number; trades: number }[] = [];
    run.engine.pipeline.batches$.subscribe((b) => {
      for (const s of b.snapshots) engine.push({ market: s.market, ts: s.ts, volume: s.windows['1h'].volume, trades: s.windows['1h'].trades });
    });
    for (const e of events) run.feed(e);
    run.kernel.finish();
    expect(written.map((w) => ({ market: w.market, ts: w.ts, volume: w.windows['1h']!.volume, trades: w.windows['1h']!.trades }))).toEqual(engine);
    // And every trade of the file is counted by the last snapshot's hour (the capture spans 11 minutes).
    const trades = events.filter((e) => e.kind === 'trade' && e.ts <= (written.at(-1) as { ts: number }).ts);
    expect(written.at(-1)!.windows['1h']!.trades).toBeGreaterThan(0.99 * trades.length);
  });
});
