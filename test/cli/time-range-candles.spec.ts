import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const DAY = 86_400_000;

/** One coin's candles of `stepMs` from `start`, `rows` of them, the i-th closing at 100 + i (so each is told by its price). */
function writeCandles(name: string, start: number, rows: number, stepMs: number): { dir: string; closeAt: (openTime: number) => number } {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-range-candles-'));
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < rows; i++) lines.push(`${start + i * stepMs},${100 + i},${101 + i},${99 + i},${100 + i},10`);
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return { dir, closeAt: (openTime) => 100 + (openTime - start) / stepMs };
}

interface Summary {
  span: { from: string; to: string };
  range: { warmupEvents: number };
  results: { market: { change: number; markets: number } };
}

async function backtest(dir: string, timerange: string): Promise<{ summary: Summary; out: string }> {
  const out = join(dir, 'out');
  const c = captureIo();
  expect(await main(['backtest', '--data', dir, '--timerange', timerange, '--out', out], c.io), c.err()).toBe(0);
  return { summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary, out: c.out() };
}

describe('backtest --timerange on candles: a candle is in the range when it opens there', () => {
  it('daily candles: 20210101-20210131 trades the candles of Jan 1 to Jan 31, the end day included', async () => {
    // December 2020 to February 2021, one candle a day.
    const dec1 = Date.UTC(2020, 11, 1);
    const { dir, closeAt } = writeCandles('BTC_USDT-1d.csv', dec1, 90, DAY);
    const { summary, out } = await backtest(dir, '20210101-20210131');
    expect(summary.span).toMatchObject({ from: '2021-01-01T00:00:00.000Z', to: '2021-02-01T00:00:00.000Z' });
    expect(out).toMatch(/span {8}2021-01-01T00:00:00.000Z → 2021-02-01T00:00:00.000Z \(62 events, quote USDT; 31 events before the range only warmed the features up\)/);
    // The candles of December (the last one closing at Jan 1 00:00) only warmed up.
    expect(summary.range.warmupEvents).toBe(31);
    // The market change runs from Jan 1's close to Jan 31's, not from Dec 31's to Jan 30's.
    expect(summary.results.market.change).toBe(closeAt(Date.UTC(2021, 0, 31)) / closeAt(Date.UTC(2021, 0, 1)) - 1);
  });

  it('5m candles: 20210102-20210102 trades the 288 candles opening on Jan 2, 00:00 to 23:55', async () => {
    const jan1 = Date.UTC(2021, 0, 1);
    const { dir, closeAt } = writeCandles('BTC_USDT-5m.csv', jan1, 3 * 288, 300_000);
    const { summary } = await backtest(dir, '20210102-20210102');
    expect(summary.span).toMatchObject({ from: '2021-01-02T00:00:00.000Z', to: '2021-01-03T00:00:00.000Z' });
    expect(summary.range.warmupEvents).toBe(288);
    expect(summary.results.market.change).toBe(closeAt(Date.UTC(2021, 0, 2, 23, 55)) / closeAt(Date.UTC(2021, 0, 2)) - 1);
  });
});
