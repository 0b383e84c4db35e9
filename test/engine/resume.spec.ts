import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { runBacktest, type BacktestCheckpoint } from '../../src/engine/backtest.js';
import { BACKTEST_FILES, writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { openReplay } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CANDLES = 'candles/binance-spot-2021-5m';

describe.skipIf(skipWithoutSharedData())('backtest checkpoint and resume', () => {
  it('a run resumed from a mid-trade checkpoint ends byte-identical to the uninterrupted run', async () => {
    const files = readdirSync(sharedData(CANDLES)).filter((f) => /^(BTC|ETH|SOL|ADA|XRP|DOGE|LINK|DOT)_/.test(f)).map((f) => sharedData(CANDLES, f));
    const profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    // Latency puts orders and cancels in flight at checkpoints.
    const config = parseConfig({ ...profile, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 }, simulator: { ...(profile['simulator'] as object), latency: '10m' } });
    const checkpoints: string[] = [];
    const dirA = mkdtempSync(join(tmpdir(), 'coinrx-resume-a-'));
    const sourceA = openReplay(files);
    // Checkpoints fall at the end of an input batch, so where they land moves with the reader's batching:
    // one every 2,000 events leaves enough of them for one to catch a position mid-trade.
    const a = await runBacktest(sourceA.batches(), config, { checkpoint: { every: 2_000, save: (c) => void checkpoints.push(JSON.stringify(c)) } });
    await writeBacktestOutput(dirA, a, config, sourceA.stats());
    expect(checkpoints.length).toBeGreaterThan(5);

    // The first checkpoint with a position mid-trade: an order resting and something scheduled at the exchange.
    const parsed = checkpoints.map((c) => JSON.parse(c) as BacktestCheckpoint);
    const mid = parsed.find((c) => c.engine.exchange !== undefined && c.engine.exchange.open.length > 0 && c.engine.exchange.queue.entries.length > 0 && c.index > 10_000);
    expect(mid, 'a checkpoint with an order resting and an action in flight').toBeDefined();
    const checkpoint = mid as BacktestCheckpoint;
    expect(Object.keys((checkpoint.engine.bot as { children: Record<string, unknown> }).children).length).toBeGreaterThan(0);

    const dirB = mkdtempSync(join(tmpdir(), 'coinrx-resume-b-'));
    const sourceB = openReplay(files);
    const b = await runBacktest(sourceB.batches(), config, { resume: checkpoint });
    await writeBacktestOutput(dirB, b, config, sourceB.stats());
    expect(b.tracker.trades.length).toBeGreaterThan(10);
    for (const name of BACKTEST_FILES) expect(readFileSync(join(dirB, name), 'utf8'), name).toBe(readFileSync(join(dirA, name), 'utf8'));
  });

  it('refuses to resume under another configuration', async () => {
    const config = parseConfig({});
    const checkpoint = { v: 1, quote: 'KRW', index: 0, config: parseConfig({ seed: 2 }) } as unknown as BacktestCheckpoint;
    await expect(runBacktest([[]], config, { resume: checkpoint })).rejects.toThrow(/another configuration/);
  });
});
