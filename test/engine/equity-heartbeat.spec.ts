import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { DAY_MS } from '../../src/core/index.js';
import { createBacktest, runBacktest, type BacktestRun } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';

const start = Date.UTC(2024, 0, 1, 20);
const market = (): ReturnType<typeof generateMarket> => generateMarket({ seed: 7, markets: 5, start, durationMs: 10 * 3_600_000 });

interface Heard {
  /** Equity updates the bot received: time and equity. */
  readonly updates: { ts: number; equity: number }[];
  /** Every equity the engine reported (one per feature batch). */
  readonly reported: { ts: number; equity: number }[];
  stoppedAt: number | undefined;
}

/** Records what the bot hears of equity, by wrapping its `send` (the engine's only way to tell it). */
function listen(run: BacktestRun): Heard {
  const heard: Heard = { updates: [], reported: [], stoppedAt: undefined };
  const bot = run.engine.bot;
  const send = bot.send.bind(bot);
  bot.send = (event) => {
    if (event.type === 'equity.update') heard.updates.push({ ts: event.ts, equity: event.equity });
    send(event);
    if (heard.stoppedAt === undefined && bot.getSnapshot().value !== 'running') heard.stoppedAt = run.engine.checkpoint().ts;
  };
  run.engine.listen({ onEquity: (ts, equity) => heard.reported.push({ ts, equity }) });
  return heard;
}

function play(config: Config, equityHeartbeatMs?: number): { heard: Heard; run: BacktestRun } {
  const run = createBacktest(config, 'KRW', start, undefined, undefined, equityHeartbeatMs === undefined ? {} : { equityHeartbeatMs });
  const heard = listen(run);
  for (const e of market()) run.feed(e);
  run.engine.finish();
  return { heard, run };
}

const trading = { filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, takeProfit: 0.004, stopLoss: 0.004, maxHold: '30m' }, simulator: { fillModel: 'touch' } };

describe('what the bot hears of equity', () => {
  it('by default, at least once a minute of event time', () => {
    const { heard } = play(parseConfig(trading));
    expect(heard.reported.length).toBeGreaterThan(500);
    const times = heard.updates.map((u) => u.ts);
    for (const r of heard.reported) {
      const last = times.filter((t) => t <= r.ts).at(-1);
      expect(r.ts - (last ?? -Infinity)).toBeLessThanOrEqual(60_000);
    }
  });

  it('without a heartbeat, only what it decides on: its peak, each day’s opening equity and the trip stay exact', () => {
    const { heard, run } = play(parseConfig(trading), Infinity);
    expect(heard.updates.length).toBeLessThan(heard.reported.length / 4);
    const peak = Math.max(...heard.reported.map((r) => r.equity));
    const context = run.engine.bot.getSnapshot().context;
    expect(context.peakEquity).toBe(peak);
    // The day's opening equity is the first equity reported that UTC day (the run crosses midnight).
    const lastDay = Math.floor((heard.reported.at(-1) as { ts: number }).ts / DAY_MS);
    expect(context.day).toBe(lastDay);
    expect(context.dayOpenEquity).toBe(heard.reported.find((r) => Math.floor(r.ts / DAY_MS) === lastDay)?.equity);
  });

  it('trips the kill switch at the same moment with or without the heartbeat', () => {
    const config = parseConfig({ ...trading, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.0005, onStop: 'keep' } });
    const withBeat = play(config).heard;
    const without = play(config, Infinity).heard;
    expect(withBeat.stoppedAt).toBeDefined();
    expect(without.stoppedAt).toBe(withBeat.stoppedAt);
    // Once stopped, a loss past the limit changes nothing for it: it is not told of every batch.
    const stopped = without.stoppedAt as number;
    const batchesAfter = without.reported.filter((r) => r.ts > stopped).length;
    expect(batchesAfter).toBeGreaterThan(100);
    expect(without.updates.filter((u) => u.ts > stopped).length).toBeLessThan(batchesAfter / 4);
  });

  it('runBacktest leaves the heartbeat out unless transitions are watched', async () => {
    const count = async (observeTransitions: boolean): Promise<number> => {
      let updates = 0;
      await runBacktest([[...market()]], parseConfig(trading), {
        quote: 'KRW',
        extras: { observeTransitions },
        onRun: (run) => {
          const bot = run.engine.bot;
          const send = bot.send.bind(bot);
          bot.send = (event) => {
            if (event.type === 'equity.update') updates++;
            send(event);
          };
        },
      });
      return updates;
    };
    const watched = await count(true);
    const unwatched = await count(false);
    expect(unwatched).toBeLessThan(watched / 4);
  });
});
