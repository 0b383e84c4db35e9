/**
 * Candles of calendar months (freqtrade's `-1M`, exports of monthly bars): no fixed timeframe stamps them at
 * their close. Without a timeframe in the name (`1M` is none) each was stamped 28 or 30 days after it opened,
 * a 31-day month's candle known days before it closed; in a file named `-1d` or `-5m` the rows' common
 * spacing (a day) made every candle known about a month early. Such a file is refused with the reason.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';

const HEADER = 'timestamp,open,high,low,close,volume';
const DAY = 86_400_000;

describe('calendar-month candles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-candle-months-'));

  it('are refused, named or not, rather than known before their close', async () => {
    const months = Array.from({ length: 14 }, (_, i) => Date.UTC(2019, 11 + i, 1));
    for (const name of ['LTC_USDT-1M.csv', 'LTC_BTC.csv', 'XRP_USDT-1d.csv', 'XRP_BTC-5m.csv']) {
      writeFileSync(join(dir, name), `${HEADER}\n${months.map((t) => `${t},50,60,40,55,1000`).join('\n')}\n`);
      await expect(readAll([join(dir, name)]), name).rejects.toThrow(/open on the first of each month \(calendar-month candles\)/);
    }
  });

  it('leaves weekly candles and daily ones from the first of a month alone', async () => {
    const weeks = Array.from({ length: 10 }, (_, i) => Date.UTC(2020, 0, 6) + i * 7 * DAY);
    writeFileSync(join(dir, 'ETH_USDT.csv'), `${HEADER}\n${weeks.map((t) => `${t},50,60,40,55,1000`).join('\n')}\n`);
    expect((await readAll([join(dir, 'ETH_USDT.csv')])).events.map((e) => e.ts - (e as CandleEvent).openTime)).toEqual(weeks.map(() => 7 * DAY));
    const days = Array.from({ length: 40 }, (_, i) => Date.UTC(2020, 1, 1) + i * DAY);
    writeFileSync(join(dir, 'ETH_BTC-1d.csv'), `${HEADER}\n${days.map((t) => `${t},50,60,40,55,1000`).join('\n')}\n`);
    expect((await readAll([join(dir, 'ETH_BTC-1d.csv')])).events.map((e) => e.ts)).toEqual(days.map((t) => t + DAY));
  });
});
