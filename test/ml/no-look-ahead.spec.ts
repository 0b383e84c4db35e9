import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../src/core/index.js';
import { Random } from '../../src/core/random.js';
import { readAll } from '../../src/market-data/index.js';
import { buildDataset } from '../../src/ml/dataset.js';
import { FEATURE_COUNT } from '../../src/ml/feature-vector.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const COINS = ['ETH', 'LINK', 'XRP'];
const end = Date.UTC(2021, 0, 6);
const cut = Date.UTC(2021, 0, 4, 13, 0);

/** Writes the coins' candles (open time < end) as plain CSV, with every candle closing after `after` scrambled. */
async function writeCandles(dir: string, after: number, seed: number): Promise<void> {
  const random = new Random(seed);
  for (const coin of COINS) {
    const { events } = await readAll([sharedData('candles/binance-spot-2021-5m', `${coin}_USDT-5m.csv.gz`)]);
    const lines = ['timestamp,open,high,low,close,volume'];
    for (const e of events as CandleEvent[]) {
      if (e.openTime >= end) break;
      let { open, high, low, close, volume } = e;
      if (e.ts > after) {
        const k = 0.7 + 0.6 * random.next();
        [open, close] = [open * k, close * k * (0.95 + 0.1 * random.next())];
        high = Math.max(open, close) * 1.02;
        low = Math.min(open, close) * 0.98;
        volume *= 5 * random.next();
      }
      lines.push([e.openTime, open, high, low, close, volume].join(','));
    }
    writeFileSync(join(dir, `${coin}_USDT-5m.csv`), `${lines.join('\n')}\n`);
  }
}

describe.skipIf(skipWithoutSharedData())('no look-ahead', () => {
  it('features at t are unchanged when every price and volume after t is scrambled; labels do change', async () => {
    const config = parseRankerConfig({});
    const a = mkdtempSync(join(tmpdir(), 'coinrx-nla-a-'));
    const b = mkdtempSync(join(tmpdir(), 'coinrx-nla-b-'));
    await writeCandles(a, Infinity, 1);
    await writeCandles(b, cut, 2);
    const da = await buildDataset([a], config);
    const db = await buildDataset([b], config);
    let before = 0;
    let labelsChanged = 0;
    let after = 0;
    for (let r = 0; r < Math.min(da.rows, db.rows); r++) {
      const t = da.ts[r] as number;
      expect(db.ts[r]).toBe(t);
      if (t > cut) {
        if (da.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT).some((v, j) => v !== db.x[r * FEATURE_COUNT + j])) after++;
        continue;
      }
      before++;
      expect(Array.from(db.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)), `row ${r} at ${new Date(t).toISOString()}`).toEqual(Array.from(da.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)));
      expect(db.heuristic[r]).toBe(da.heuristic[r]);
      expect(db.momentum[r]).toBe(da.momentum[r]);
      expect(db.price[r]).toBe(da.price[r]);
      if (db.label[r] !== da.label[r] || db.timeMs[r] !== da.timeMs[r]) labelsChanged++;
    }
    expect(before).toBeGreaterThan(COINS.length * 800);
    // The scramble is visible: features after the cut and labels reaching past it differ.
    expect(after).toBeGreaterThan(100);
    expect(labelsChanged).toBeGreaterThan(10);
  });
});
