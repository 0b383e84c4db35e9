import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CandleEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { mirrorCandleFiles } from '../../src/market-data/mirror-candle-files.js';
import { invertPrices, reverseTime, type CandleRow } from '../../src/market-data/mirror-candles.js';
import { captureIo } from '../helpers/capture-io.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CANDLES = 'candles/binance-spot-2021-5m';
const skip = skipWithoutSharedData();
const tmp = (): string => mkdtempSync(join(tmpdir(), 'coinrx-mirror-'));

/** The rows of a recorded candle file, parsed here independently of the tool. */
function realRows(coin: string, n = Infinity): CandleRow[] {
  const text = gunzipSync(readFileSync(sharedData(CANDLES, `${coin}_USDT-5m.csv.gz`))).toString('utf8');
  return text
    .trim()
    .split('\n')
    .slice(1, Number.isFinite(n) ? n + 1 : undefined)
    .map((line) => {
      const [ts, open, high, low, close, volume] = line.split(',').map(Number) as [number, number, number, number, number, number];
      return { ts, open, high, low, close, volume };
    });
}

const rel = (a: number, b: number): number => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));
const maxRel = (a: readonly CandleRow[], b: readonly CandleRow[]): number => {
  let m = 0;
  a.forEach((r, i) => {
    const o = b[i] as CandleRow;
    m = Math.max(m, rel(r.open, o.open), rel(r.high, o.high), rel(r.low, o.low), rel(r.close, o.close), rel(r.volume, o.volume));
  });
  return m;
};
const valid = (r: CandleRow): boolean => r.low > 0 && r.low <= Math.min(r.open, r.close) && r.high >= Math.max(r.open, r.close) && r.volume >= 0;

describe('invertPrices', () => {
  it('maps p to k/p, swaps high and low and keeps the quote value at the close', () => {
    const [r] = invertPrices([{ ts: 0, open: 100, high: 110, low: 90, close: 105, volume: 2 }]);
    expect(r?.open).toBe(100);
    expect(r?.high).toBeCloseTo(10_000 / 90, 12);
    expect(r?.low).toBeCloseTo(10_000 / 110, 12);
    expect(r?.close).toBeCloseTo(10_000 / 105, 12);
    expect((r?.volume ?? 0) * (r?.close ?? 0)).toBeCloseTo(2 * 105, 10);
  });

  it.skipIf(skip)('on real BTC candles: inverted twice is the original, every log return and range mirrored, every candle valid', () => {
    const rows = realRows('BTC', 5000);
    const inv = invertPrices(rows);
    expect(inv[0]?.open).toBe(rows[0]?.open);
    expect(inv.every(valid)).toBe(true);
    expect(maxRel(invertPrices(inv, (rows[0] as CandleRow).open ** 2), rows)).toBeLessThan(1e-12);
    for (let i = 1; i < rows.length; i++) {
      const [a, b, x, y] = [rows[i - 1], rows[i], inv[i - 1], inv[i]] as CandleRow[];
      expect(Math.log(y!.close / x!.close)).toBeCloseTo(-Math.log(b!.close / a!.close), 12);
      expect(Math.log(y!.high / y!.low)).toBeCloseTo(Math.log(b!.high / b!.low), 12);
      expect(y!.volume * y!.close).toBeCloseTo(b!.volume * b!.close, 6);
    }
  });
});

describe('reverseTime', () => {
  it.skipIf(skip)('on real ETH candles: reversed twice is the original exactly; the span is kept and returns run backwards, negated', () => {
    const rows = realRows('ETH', 5000);
    const axis = (rows[0] as CandleRow).ts + (rows.at(-1) as CandleRow).ts;
    const rev = reverseTime(rows, axis);
    expect(reverseTime(rev, axis)).toEqual(rows);
    expect(rev.map((r) => r.ts)).toEqual(rows.map((r) => r.ts));
    expect(rev.every(valid)).toBe(true);
    const n = rows.length;
    for (let j = 0; j + 1 < n; j++) {
      // The reversed close-to-close return is the original open-to-open return at the mirrored time, negated.
      const ret = Math.log((rev[j + 1] as CandleRow).close / (rev[j] as CandleRow).close);
      expect(ret).toBeCloseTo(-Math.log((rows[n - 1 - j] as CandleRow).open / (rows[n - 2 - j] as CandleRow).open), 12);
      expect(rev[j]?.volume).toBe(rows[n - 1 - j]?.volume);
    }
  });
});

describe.skipIf(skip)('mirrorCandleFiles / coinrx data mirror on recorded candles', () => {
  const coins = ['BTC', 'DOGE', 'HOT'];
  const inputs = coins.map((c) => sharedData(CANDLES, `${c}_USDT-5m.csv.gz`));

  it('writes files the replay reads without a malformed row, each coin falling by what it rose', async () => {
    const out = tmp();
    const files = mirrorCandleFiles(inputs, out, 'prices');
    expect(files.map((f) => [f.file, f.malformed])).toEqual(coins.map((c) => [`${c}_USDT-5m.csv.gz`, 0]));
    for (const f of files) expect(1 + f.mirroredChange).toBeCloseTo(1 / (1 + f.change), 8);
    const [before, after] = await Promise.all([readAll(inputs), readAll([out])]);
    expect(after.stats.files.map((f) => [f.market, f.malformed, f.events])).toEqual(before.stats.files.map((f) => [f.market, 0, f.events]));
    // Each candle's quote value at its close, what the replay trades on, is unchanged.
    const value = (e: CandleEvent): number => e.close * e.volume;
    after.events.forEach((e, i) => expect(rel(value(e as CandleEvent), value(before.events[i] as CandleEvent))).toBeLessThan(1e-8));
    // Through the files (ten significant digits), inverting again gives the recorded prices back.
    const again = tmp();
    mirrorCandleFiles([out], again, 'prices');
    const back = await readAll([again]);
    back.events.forEach((e, i) => expect(rel((e as CandleEvent).close, (before.events[i] as CandleEvent).close)).toBeLessThan(1e-8));
  });

  it('plays every coin backwards around one axis, so they stay aligned; twice gives the recorded values', async () => {
    const out = tmp();
    mirrorCandleFiles(inputs, out, 'time');
    const again = tmp();
    mirrorCandleFiles([out], again, 'time');
    const [before, back] = await Promise.all([readAll(inputs), readAll([again])]);
    expect(back.events).toEqual(before.events);
  });

  it('coinrx data mirror prints each coin before and after; bad flags get one line', async () => {
    const out = tmp();
    const cap = captureIo();
    expect(await main(['data', 'mirror', '--data', inputs[0] as string, '--by', 'prices', '--out', out], cap.io)).toBe(0);
    const rows = realRows('BTC');
    const up = (rows.at(-1) as CandleRow).close / (rows[0] as CandleRow).open;
    const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
    expect(cap.out()).toBe(`BTC_USDT-5m.csv.gz: ${rows.length} candles, ${pct(up - 1)} → ${pct(1 / up - 1)}\n`);
    const bad = captureIo();
    expect(await main(['data', 'mirror', '--data', inputs[0] as string, '--by', 'upside-down', '--out', out], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/^coinrx data: --by must be prices or time, got "upside-down"/);
    expect(bad.err().trim().split('\n')).toHaveLength(1);
  });
});
