/**
 * A file whose rows' spacing contradicts the timeframe in its name: hourly rows in a file named `-5m` were
 * read as 5-minute candles, each stamped (known) 55 minutes before it closed. The rows' common spacing
 * wins when it is larger than the name's, with one warning naming the file; sparse candles (Upbit sends
 * none for a span without trades) keep the name's timeframe: a gap is not a coarser timeframe.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../src/core/index.js';
import { readReplay } from '../helpers/replay-read.js';

const START = Date.UTC(2023, 6, 1);
const HOUR = 3_600_000;
const FIVE = 300_000;
const HEADER = 'timestamp,open,high,low,close,volume';
const row = (t: number, i: number): string => `${t},${10 + i},${11 + i},${9 + i},${10.5 + i},${i + 1}`;

const read = readReplay;

describe('candle rows spaced wider than the timeframe in the file name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-candle-spacing-'));

  it('reads hourly rows in a file named -5m as hourly candles, each at its close, with one warning naming the file', async () => {
    // A missing hour among the first rows (an outage) does not make the spacing two hours.
    const opens = Array.from({ length: 100 }, (_, i) => START + i * HOUR).filter((_, i) => i !== 3);
    const text = `${HEADER}\n${opens.map(row).join('\n')}\n`;
    const plain = join(dir, 'BTC_USDT-5m.csv');
    writeFileSync(plain, text);
    const gz = join(dir, 'ETH_USDT-5m.csv.gz');
    writeFileSync(gz, gzipSync(text));
    for (const file of [plain, gz]) {
      for (const readerThread of [false, true]) {
        const what = `${file} reader thread ${readerThread}`;
        const { events, infos, malformed } = await read(file, readerThread);
        expect(malformed, what).toBe(0);
        // Never known before it closed: an hour after it opened.
        expect(events.map((e) => e.ts), what).toEqual(opens.map((t) => t + HOUR));
        expect(events.map((e) => (e as CandleEvent).openTime), what).toEqual(opens);
        expect(infos, what).toHaveLength(1);
        expect(infos[0], what).toMatchObject({ file, kept: true });
        expect(infos[0]?.reason, what).toMatch(/rows are 1 h apart, not the 5 min its name .* says: read as 1 h candles/);
      }
    }
  });

  it('keeps the name\'s timeframe for sparse candles with gaps, and for a file shorter than the rows looked at', async () => {
    // Upbit's 5-minute candles of a thin market: spans without trades have no candle (gaps of 10, 15, 25 min...).
    const opens: number[] = [];
    for (let t = START, i = 0; opens.length < 200; i++) {
      opens.push(t);
      t += FIVE * (i % 3 === 0 ? 2 : i % 5 === 0 ? 5 : i % 7 === 0 ? 1 : 3);
    }
    const sparse = join(dir, 'KRW-XRP-5m.csv');
    writeFileSync(sparse, `${HEADER}\n${opens.map(row).join('\n')}\n`);
    for (const readerThread of [false, true]) {
      const { events, infos, malformed } = await read(sparse, readerThread);
      expect(malformed).toBe(0);
      expect(infos).toEqual([]);
      expect(events.map((e) => e.ts)).toEqual(opens.map((t) => t + FIVE));
    }
    // Three rows, every other 5 minutes missing but for one: still 5 minutes; one row: the name's.
    const short = join(dir, 'KRW-ADA-5m.csv');
    writeFileSync(short, `${HEADER}\n${[START, START + 2 * FIVE, START + 3 * FIVE].map(row).join('\n')}\n`);
    expect((await read(short, false)).events.map((e) => e.ts - (e as CandleEvent).openTime)).toEqual([FIVE, FIVE, FIVE]);
    const one = join(dir, 'KRW-DOT-1h.csv');
    writeFileSync(one, `${HEADER}\n${row(START, 0)}\n`);
    expect((await read(one, false)).events.map((e) => e.ts)).toEqual([START + HOUR]);
  });
});
