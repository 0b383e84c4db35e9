import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { runBacktest, type BacktestCheckpoint, type BacktestRun } from '../../src/engine/backtest.js';
import type { MarketEvent } from '../../src/core/index.js';
import { BACKTEST_FILES, writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { openReplay } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CANDLES = 'candles/binance-spot-2021-5m';

/** The same events, one per batch: a run can then be checkpointed after any of them. */
async function* oneByOne(batches: AsyncIterable<readonly MarketEvent[]>): AsyncGenerator<readonly MarketEvent[]> {
  for await (const batch of batches) for (const event of batch) yield [event];
}

describe.skipIf(skipWithoutSharedData())('backtest checkpoint and resume', () => {
  it('a run resumed from a mid-trade checkpoint ends byte-identical to the uninterrupted run', async () => {
    const files = readdirSync(sharedData(CANDLES)).filter((f) => /^(BTC|ETH|SOL|ADA|XRP|DOGE|LINK|DOT)_/.test(f)).map((f) => sharedData(CANDLES, f));
    const profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    // Latency puts orders and cancels in flight at checkpoints.
    const config = parseConfig({ ...profile, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 }, simulator: { ...(profile['simulator'] as object), latency: '10m' } });
    const dirA = mkdtempSync(join(tmpdir(), 'coinrx-resume-a-'));
    const sourceA = openReplay(files);
    // The moment under test is chosen by the run's own state, not by where the reader's batches end: fed one
    // event per batch, the run is checkpointed (as its checkpoint option would, at a batch end) at the first
    // event past the warm-up that leaves a position mid-trade, an order resting and an action in flight.
    let run: BacktestRun | undefined;
    let mid: BacktestCheckpoint | undefined;
    const a = await runBacktest(oneByOne(sourceA.batches()), config, {
      onRun: (r) => (run = r),
      onProgress: (events) => {
        if (mid !== undefined || run === undefined || run.engine.warming || events <= 10_000) return;
        if (run.exchange.getOpenOrders().length > 0 && run.exchange.pendingActions > 0) mid = JSON.parse(JSON.stringify(run.checkpoint(events))) as BacktestCheckpoint;
      },
    });
    await writeBacktestOutput(dirA, a, config, sourceA.stats());
    expect(mid, 'a checkpoint with an order resting and an action in flight').toBeDefined();
    const checkpoint = mid as BacktestCheckpoint;
    expect(checkpoint.engine.exchange?.open.length).toBeGreaterThan(0);
    expect(checkpoint.engine.exchange?.queue.entries.length).toBeGreaterThan(0);
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
