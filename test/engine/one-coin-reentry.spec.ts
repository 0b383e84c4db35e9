import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { openReplay } from '../../src/market-data/index.js';

/** One coin of 5m candles zigzagging ±4 % over three days (`drift` a candle on top): a strategy with 1 % barriers has many chances. */
function oneCoin(drift = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-one-coin-'));
  const start = Date.UTC(2024, 0, 1);
  const rows = ['timestamp,open,high,low,close,volume'];
  let price = 10_000;
  for (let i = 0; i < 864; i++) {
    const next = 10_000 * (1 + drift) ** i * (1 + 0.04 * Math.sin(i / 30));
    rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${1000 + ((i * 7) % 13) * 100}`);
    price = next;
  }
  writeFileSync(join(dir, 'AAA_KRW-5m.csv'), `${rows.join('\n')}\n`);
  return dir;
}

describe('one-coin backtest', () => {
  it('re-enters the one ranked coin after each exit, with no ranking change needed', async () => {
    const config = parseConfig({
      features: { every: '5m' },
      ranking: { top: 1 },
      strategy: { skipBearMarket: false },
      simulator: { fillModel: 'touch' },
      bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 },
    });
    const result = await runBacktest(openReplay([oneCoin()]).batches(), config);
    const trades = result.tracker.trades;
    // The ranking of one coin is the same list all along: before, the bot bought once and never again.
    expect(trades.length).toBeGreaterThanOrEqual(8);
    // Each entry comes after the previous exit: one position at a time in the one coin. (A buy is dated by
    // its feature batch, the 5m boundary before the event that closed the previous position.)
    for (let i = 1; i < trades.length; i++) expect(trades[i]?.openedTs).toBeGreaterThanOrEqual((trades[i - 1]?.closedTs as number) - 300_000);
  });

  it('trades one coin with the entry gate on: its paper trades go on after the first, so the gate can open', async () => {
    const config = parseConfig({
      features: { every: '5m' },
      ranking: { top: 1 },
      strategy: { skipBearMarket: false, takeProfit: 0.03, stopLoss: 0.03, gate: { edge: true, minTrades: 3, window: 20, margin: 0 } },
      simulator: { fillModel: 'touch' },
      bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 },
    });
    const result = await runBacktest(openReplay([oneCoin(0.001)]).batches(), config);
    // Before, the gate sampled one paper trade (opened at the one ranking) and never opened: no trade at all.
    expect(result.tracker.trades.length).toBeGreaterThanOrEqual(2);
  });
});
