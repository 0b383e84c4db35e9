import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { Fill, MarketEvent } from '../../../src/core/index.js';
import { Random } from '../../../src/core/random.js';
import { createBacktest } from '../../../src/engine/backtest.js';
import { FEATURE_COUNT } from '../../../src/ml/feature-vector.js';
import { fitNormalizer } from '../../../src/ml/normalizer.js';
import { actionReplay } from '../../../src/ml/rl/action-replay.js';
import { SELL } from '../../../src/ml/rl/actions.js';
import { buildTape, type MarketTape } from '../../../src/ml/rl/market-tape.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { madeMarket, madeMarketConfig, randomValidEpisode } from './fixtures.js';

const DAY = 288;

/**
 * Buys often, sells and cancels seldom: positions are held through the falls; with `hold`, no sells:
 * what is bought is held into the halts.
 */
const haltActions =
  (hold: boolean) =>
  (valid: readonly number[], random: Random): number => {
    const pick = valid.length > 0 ? (valid[random.int(valid.length)] as number) : 0;
    return pick === 1 ? (random.next() < 0.5 ? 1 : 0) : random.next() < 0.03 && !(hold && pick === SELL) ? pick : 0;
  };

const fillKey = (f: Fill): string => `${f.ts} ${f.market} ${f.side} ${f.price} ${f.amount} ${f.fee}`;

function engineRun(events: readonly MarketEvent[], tape: MarketTape, end: number, cfg: Config, log: Parameters<typeof actionReplay>[0]) {
  const fills: Fill[] = [];
  const bot: { ts: number; state: string; reason: string | undefined }[] = [];
  const run = createBacktest(cfg, 'USDT', (events[0] as MarketEvent).ts, rlAgent(actionReplay(log)));
  run.engine.listen({ onOrderEvent: (e) => void (e.type === 'order.fill' && fills.push(e.fill)), onBotState: (ts, state, reason) => void bot.push({ ts, state, reason }) });
  for (let i = 0; i < (tape.emitIndex[end] as number); i++) run.feed(events[i] as MarketEvent);
  run.engine.finish();
  return { fills, bot, equity: run.engine.equity().equity, results: run.engine.results };
}

describe('RL environment ↔ engine parity on a market made here, through both kill-switch halts', () => {
  for (const [name, simulator, onStop] of [
    ['no latency', {}, 'keep'],
    ['1 minute latency, touch fills', { latency: '1m', fillModel: 'touch' }, 'keep'],
    // The halts sell every holding (the engine's liquidation: whole lots at the exit price, the dust closed).
    ['no latency, holdings liquidated on a halt', {}, 'liquidate'],
  ] as const) {
    it(`the same actions give the same trades, halts and equity (${name})`, () => {
      const cfg = madeMarketConfig({ bot: { dailyLossLimit: 0.03, maxDrawdown: 0.06, onStop }, simulator });
      const events = madeMarket(5, 3);
      const tape = buildTape(events, cfg);
      const rows: number[] = [];
      for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
      const env = new TradingEnv({ tape, config: cfg, reward: parseRlConfig().reward, normalizer: fitNormalizer(tape.features, FEATURE_COUNT, rows), record: true });
      const end = tape.batches - 2;
      env.reset({ start: DAY, end, markets: tape.markets.map((_, m) => m), seed: 1 });
      randomValidEpisode(env, 5, haltActions(onStop === 'liquidate'));
      const rec = env.record!;
      const engine = engineRun(events, tape, end, cfg, rec.decisions);

      // Both halts tripped in the environment, and the daily one lifted by itself the next day.
      const halts = rec.bot.filter((b) => b.state === 'stopping').map((b) => b.reason);
      expect(halts).toContain('kill-switch: daily loss limit');
      expect(halts).toContain('kill-switch: max drawdown');
      expect(rec.bot.some((b, i) => b.state === 'running' && i > 0)).toBe(true);
      expect(env.results.length).toBeGreaterThan(onStop === 'liquidate' ? 0 : 10);
      // With `liquidate`, holdings were sold by the halts (keep: never).
      expect(env.results.some((r) => r.reason === 'liquidate')).toBe(onStop === 'liquidate');

      // The engine, given the environment's actions, did the same: the same bot states at the same times…
      expect(engine.bot.filter((b) => b.state !== 'stopped' || b.reason !== 'end of data')).toEqual(rec.bot);
      // …the same fills, round trips and equity, to the unit.
      expect(engine.fills.map(fillKey)).toEqual(rec.fills.map(fillKey));
      expect(engine.results).toEqual(env.results);
      expect(Math.round(engine.equity)).toBe(Math.round(env.equity()));
      expect(engine.equity).toBeCloseTo(env.equity(), 6);
    });
  }
});
